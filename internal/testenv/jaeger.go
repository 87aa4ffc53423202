package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// jaegerTool is the jaeger command, v1.75.0 pinned by tools/jaeger/go.mod,
// built once per machine (see Tool).
var jaegerTool = &Tool{Dir: "tools/jaeger", Package: "github.com/jaegertracing/jaeger/cmd/jaeger"}

// JaegerEnv, set to 1, lets a test build Jaeger when this machine has not
// yet (make test-jaeger sets it). Without it a test that needs Jaeger runs
// only where Jaeger is built already, and is skipped elsewhere: its first
// build, 5 minutes of both cores of this project's 2-core machines (295 s
// quiet), does not fit beside the rest of make test in CI's 20 minutes.
const JaegerEnv = "BIGPIPE_JAEGER"

// JaegerBinary returns the path of the jaeger command, building it if the
// cache lacks it and JaegerEnv allows; else it skips t, saying how to run
// it.
func JaegerBinary(t testing.TB) string {
	t.Helper()
	if !jaegerTool.Built() && os.Getenv(JaegerEnv) != "1" {
		t.Skipf("Jaeger is not built on this machine (its first build takes about 5 minutes of two cores); make test-jaeger builds it and runs the tests that need it")
	}
	return jaegerTool.Path(t)
}

// Jaeger is a throwaway Jaeger (all-in-one, in-memory storage) on loopback
// ports, started by [StartJaeger], for tests that check the traces a real
// trace store receives over OTLP.
type Jaeger struct {
	OTLP  string // base URL of its OTLP/HTTP receiver, such as http://127.0.0.1:43181
	Query string // base URL of its query API and UI
	proc  *Proc
	http  *http.Client // its connections closed when the test ends, so that none outlives it
}

// config is the collector configuration: the OTLP/HTTP receiver and the
// query service on the given loopback addresses, memory storage, and none
// of the all-in-one's other listeners (no own metrics either).
const jaegerConfig = `service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: %s
    grpc:
      endpoint: %s
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 10000
receivers:
  otlp:
    protocols:
      http:
        endpoint: %s
processors:
  batch:
    timeout: 100ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`

// StartJaeger starts Jaeger on free loopback ports and returns it once its
// query API answers and its receiver accepts connections. It is stopped
// when t ends.
func StartJaeger(t testing.TB) *Jaeger {
	t.Helper()
	bin := JaegerBinary(t)
	ports := freePorts(t, 3)
	otlp, query, grpc := ports[0], ports[1], ports[2]
	cfg := filepath.Join(t.TempDir(), "jaeger.yaml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, jaegerConfig, query, grpc, otlp), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := StartProc(t, "jaeger", bin, "--config", cfg)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	j := &Jaeger{OTLP: "http://" + otlp, Query: "http://" + query, proc: p, http: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
	err = WaitFor(p, 60*time.Second, func() error {
		resp, err := j.http.Get(j.Query + "/api/services")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("query API: %s", resp.Status)
		}
		c, err := net.DialTimeout("tcp", otlp, time.Second)
		if err != nil {
			return err
		}
		return c.Close()
	})
	if err != nil {
		t.Fatalf("jaeger did not start: %v", err)
	}
	return j
}

// Stop kills Jaeger; [StartJaeger] does it when the test ends.
func (j *Jaeger) Stop() { j.proc.Kill() }

// freePorts returns n loopback addresses free a moment ago.
func freePorts(t testing.TB, n int) []string {
	t.Helper()
	addrs := make([]string, n)
	for i := range addrs {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close() // all held until the end, so that none is given twice
		addrs[i] = l.Addr().String()
	}
	return addrs
}

// JaegerTrace is one trace as Jaeger's query API returns it.
type JaegerTrace struct {
	TraceID string       `json:"traceID"`
	Spans   []JaegerSpan `json:"spans"`
}

// JaegerSpan is one span of a [JaegerTrace]; times are in microseconds.
type JaegerSpan struct {
	TraceID       string      `json:"traceID"`
	SpanID        string      `json:"spanID"`
	OperationName string      `json:"operationName"`
	References    []JaegerRef `json:"references"`
	StartTime     int64       `json:"startTime"`
	Duration      int64       `json:"duration"`
	Tags          []JaegerTag `json:"tags"`
}

// JaegerRef is a span's parent (CHILD_OF) or link (FOLLOWS_FROM).
type JaegerRef struct {
	RefType string `json:"refType"`
	TraceID string `json:"traceID"`
	SpanID  string `json:"spanID"`
}

// JaegerTag is a span attribute.
type JaegerTag struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
}

// Parent is the span id of s's parent in its trace, "" for a root.
func (s JaegerSpan) Parent() string {
	for _, r := range s.References {
		if r.RefType == "CHILD_OF" && r.TraceID == s.TraceID {
			return r.SpanID
		}
	}
	return ""
}

// Tag returns the value of s's attribute key as text, "" if it has none.
func (s JaegerSpan) Tag(key string) string {
	for _, tg := range s.Tags {
		if tg.Key == key {
			return fmt.Sprint(tg.Value)
		}
	}
	return ""
}

// Traces returns the traces Jaeger holds of service (at most 100).
func (j *Jaeger) Traces(ctx context.Context, service string) ([]JaegerTrace, error) {
	u := j.Query + "/api/traces?limit=100&lookback=1h&service=" + url.QueryEscape(service)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := j.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("jaeger query: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jaeger query %s: %s", u, resp.Status)
	}
	var body struct {
		Data []JaegerTrace `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("jaeger query: decode: %w", err)
	}
	return body.Data, nil
}
