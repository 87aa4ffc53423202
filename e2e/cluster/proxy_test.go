package cluster_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	_ "embed"
	"encoding/pem"
	"fmt"
	"github.com/bigpipe-go/bigpipe/internal/testenv"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The proxy configurations as README.md shows them ("Running several
// instances"), tested as they stand: the tests only put their own ports
// and certificate paths in place of the examples' (see [fillConfig]).
var (
	//go:embed testdata/nginx.conf
	nginxConf string
	//go:embed testdata/haproxy.cfg
	haproxyConf string
)

// exampleUpstreams are the instance addresses the configurations name.
var exampleUpstreams = []string{"127.0.0.1:8081", "127.0.0.1:8082", "127.0.0.1:8083"}

// fillConfig replaces every occurrence of each key of repl in conf by its
// value (an instance's address is in two upstreams of nginx's); every key
// must occur, so a configuration that changed shape fails here rather than
// running with an example value left in.
func fillConfig(t *testing.T, name, conf string, repl map[string]string) string {
	t.Helper()
	for k, v := range repl {
		if !strings.Contains(conf, k) {
			t.Fatalf("%s: %q does not occur", name, k)
		}
		conf = strings.ReplaceAll(conf, k, v)
	}
	if strings.Contains(conf, ":808") {
		t.Fatalf("%s: an example address is left in:\n%s", name, conf)
	}
	return conf
}

// upstreamRepl maps the example upstreams to the instances' addresses.
func upstreamRepl(ins []*instance) map[string]string {
	repl := map[string]string{}
	for i, in := range ins {
		repl[exampleUpstreams[i]] = in.addr()
	}
	return repl
}

// selfSigned writes a fresh self-signed certificate for 127.0.0.1 and
// localhost and its key into dir, as cert.pem and key.pem, plus both in one
// file, both.pem, for HAProxy.
func selfSigned(t *testing.T, dir string) (cert, key, both string) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "news.example"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost", "news.example"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	c := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	k := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
	cert, key, both = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), filepath.Join(dir, "both.pem")
	for path, b := range map[string][]byte{cert: c, key: k, both: append(append([]byte{}, c...), k...)} {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return cert, key, both
}

// nginxMain is the test's nginx.conf: one foreground process, every path
// in the test's directory, and the site configuration of the README
// included where Debian's nginx.conf includes conf.d/*.conf.
const nginxMain = `daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log stderr warn;
events { worker_connections 512; }
http {
    access_log off;
    client_body_temp_path %[1]s/client_body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    include %[1]s/bigpipe.conf;
}
`

// nginx is a running nginx in front of the instances.
type nginx struct {
	base string // https://127.0.0.1:port
	p    *proc
}

// noLiveUpstreams returns how many requests nginx has answered 502 for want
// of an instance it counts as up: none is right while one instance runs.
func (n *nginx) noLiveUpstreams() int { return strings.Count(n.p.Output(), "no live upstreams") }

// startNginx runs nginx, configured as testdata/nginx.conf says, in front
// of ins (three instances) on a free loopback port, over TLS with a fresh
// self-signed certificate, and returns it once it answers. The instances
// need not run yet.
func startNginx(t *testing.T, ins []*instance) *nginx {
	t.Helper()
	bin := testenv.RequireProgram(t, "nginx", "/usr/sbin/nginx")
	dir := t.TempDir()
	if strings.ContainsAny(dir, "\"\\;{} \t\n") {
		t.Fatalf("temporary directory %q cannot be written into an nginx configuration", dir)
	}
	cert, key, _ := selfSigned(t, dir)
	port := freePort(t)
	repl := upstreamRepl(ins)
	repl["listen 443 ssl http2;"] = fmt.Sprintf("listen 127.0.0.1:%d ssl http2;", port)
	repl["/etc/ssl/certs/news.example.pem"] = cert
	repl["/etc/ssl/private/news.example.key"] = key
	site := fillConfig(t, "testdata/nginx.conf", nginxConf, repl)
	if err := os.WriteFile(filepath.Join(dir, "bigpipe.conf"), []byte(site), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, nginxMain, dir), 0o644); err != nil {
		t.Fatal(err)
	}
	// -e stderr: before reading its configuration nginx would open its
	// compiled-in error log, which a non-root user cannot.
	p, err := startProc(t, "nginx", bin, "-p", dir+"/", "-e", "stderr", "-c", conf)
	if err != nil {
		t.Fatal(err)
	}
	if err := waitFor(p, 10*time.Second, func() error { return listening(port) }); err != nil {
		t.Fatalf("nginx: %v\n%s", err, p.Output())
	}
	return &nginx{base: fmt.Sprintf("https://127.0.0.1:%d", port), p: p}
}

// startHAProxy runs HAProxy, configured as testdata/haproxy.cfg says, in
// front of ins, on a free loopback port with a fresh self-signed
// certificate, and returns its base URL once it listens.
func startHAProxy(t *testing.T, ins []*instance) string {
	t.Helper()
	bin := testenv.RequireProgram(t, "haproxy", "/usr/sbin/haproxy")
	dir := t.TempDir()
	_, _, both := selfSigned(t, dir)
	port := freePort(t)
	repl := upstreamRepl(ins)
	repl["bind :443 ssl crt /etc/haproxy/news.example.pem"] = fmt.Sprintf("bind 127.0.0.1:%d ssl crt %s", port, both)
	conf := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(conf, []byte(fillConfig(t, "testdata/haproxy.cfg", haproxyConf, repl)), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := startProc(t, "haproxy", bin, "-db", "-f", conf)
	if err != nil {
		t.Fatal(err)
	}
	if err := waitFor(p, 10*time.Second, func() error { return listening(port) }); err != nil {
		t.Fatalf("haproxy: %v\n%s", err, p.Output())
	}
	return fmt.Sprintf("https://127.0.0.1:%d", port)
}

// listening reports whether something accepts connections on the loopback
// port.
func listening(port int) error {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
	if err != nil {
		return err
	}
	return c.Close()
}

// TestReadmeQuotesConfigs checks that README.md shows the proxy
// configurations exactly as the tests run them, so the two cannot drift.
func TestReadmeQuotesConfigs(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for name, conf := range map[string]string{"testdata/nginx.conf": nginxConf, "testdata/haproxy.cfg": haproxyConf} {
		if !strings.Contains(string(readme), "\n"+conf+"```\n") {
			t.Errorf("README.md does not quote e2e/cluster/%s verbatim in a code block: copy the file's text there", name)
		}
	}
}
