// The traces: OpenTelemetry spans of pages, pagelets and live
// publications, exported over OTLP/HTTP to -otlp (or
// OTEL_EXPORTER_OTLP_ENDPOINT), off without either (docs/tracing.md).

package main

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// serviceName is the service the demo's spans belong to unless
// OTEL_SERVICE_NAME (or OTEL_RESOURCE_ATTRIBUTES) names another.
const serviceName = "bigpipe"

// tracingFlushTimeout bounds the export of the spans still batched at
// shutdown.
const tracingFlushTimeout = 5 * time.Second

// tracing is the demo's tracer provider; its zero value (tp nil) traces
// nothing.
type tracing struct {
	tp  *sdktrace.TracerProvider
	log *slog.Logger
}

// startTracing starts exporting traces over OTLP/HTTP to cfg.otlp or, if
// that is empty, to the endpoint the standard OTEL_EXPORTER_OTLP_ENDPOINT
// or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT names (the exporter reads those and
// its other OTEL_EXPORTER_OTLP_* variables itself). Without any it returns
// a tracing that is off. The caller must call close.
func startTracing(ctx context.Context, cfg config, log *slog.Logger) (*tracing, error) {
	var opts []otlptracehttp.Option
	switch {
	case cfg.otlp != "":
		opts = append(opts, otlptracehttp.WithEndpointURL(cfg.otlp))
	case os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "":
		return &tracing{log: log}, nil
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	// The service name first: the environment's resource attributes win.
	res, err := resource.New(ctx, resource.WithAttributes(attribute.String("service.name", serviceName)),
		resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil {
		_ = exp.Shutdown(ctx)
		return nil, fmt.Errorf("tracing: resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	name, _ := res.Set().Value("service.name")
	log.Info("tracing: exporting over OTLP/HTTP", "service", name.String(), "endpoint", cmp.Or(cfg.otlp, "(from OTEL_EXPORTER_OTLP_*)"))
	return &tracing{tp: tp, log: log}, nil
}

// provider is the tracer provider to give the renderer and the live
// engine: nil when tracing is off.
func (t *tracing) provider() trace.TracerProvider {
	if t.tp == nil {
		return nil // not a nil *TracerProvider in an interface, which would read as on
	}
	return t.tp
}

// close exports the spans still batched, within tracingFlushTimeout, and
// stops the exporter. It runs last at shutdown, after the server has
// drained and the live engine has closed, so their last spans go too.
func (t *tracing) close() {
	if t.tp == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), tracingFlushTimeout)
	defer cancel()
	if err := t.tp.Shutdown(ctx); err != nil {
		t.log.Warn("tracing: spans lost at shutdown", "err", err)
	}
}

// parseOTLP checks an -otlp value, the base URL of an OTLP/HTTP receiver
// such as http://127.0.0.1:4318, and returns the URL traces go to: its
// path followed by /v1/traces, as for OTEL_EXPORTER_OTLP_ENDPOINT.
func parseOTLP(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("-otlp: %q is not the URL of an OTLP/HTTP receiver such as http://127.0.0.1:4318", raw)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/v1/traces"
	return u.String(), nil
}
