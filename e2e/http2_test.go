package e2e_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// selfSignedCert writes a fresh ECDSA P-256 certificate for 127.0.0.1 and
// its key as PEM files into a temporary directory, and returns their paths
// and a pool that trusts the certificate.
func selfSignedCert(t *testing.T) (certFile, keyFile string, roots *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(now.UnixNano()),
		Subject:               pkix.Name{CommonName: "bigpipe e2e"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("create certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parse certificate: %v", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("marshal key: %v", err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	roots = x509.NewCertPool()
	roots.AddCert(cert)
	return certFile, keyFile, roots
}

// h2Client speaks only HTTP/2 over TLS, trusting roots, and leaves
// Content-Encoding alone.
func h2Client(roots *x509.CertPool) *http.Client {
	var p http.Protocols
	p.SetHTTP2(true)
	return &http.Client{Transport: &http.Transport{
		Protocols:          &p,
		TLSClientConfig:    &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		DisableCompression: true,
	}}
}

// h2cClient speaks only unencrypted HTTP/2 with prior knowledge, and leaves
// Content-Encoding alone.
func h2cClient() *http.Client {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: &http.Transport{Protocols: &p, DisableCompression: true}}
}

// TestHTTP2Streams reads /bench over HTTP/2, with TLS (-tls-cert) and in
// clear text (-h2c), identity and gzip: every pagelet's marker must reach
// the client at about its own delay, as over HTTP/1.1.
func TestHTTP2Streams(t *testing.T) {
	tests := []struct {
		name   string
		server func(t *testing.T) (base string, client *http.Client)
	}{
		{name: "TLS", server: func(t *testing.T) (string, *http.Client) {
			certFile, keyFile, roots := selfSignedCert(t)
			client := h2Client(roots)
			return startServer(t, "https", client, "-tls-cert", certFile, "-tls-key", keyFile), client
		}},
		{name: "h2c", server: func(t *testing.T) (string, *http.Client) {
			client := h2cClient()
			return startServer(t, "http", client, "-h2c"), client
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base, client := tc.server(t)
			for _, enc := range []string{"identity", "gzip"} {
				t.Run(enc, func(t *testing.T) {
					tm, err := measureStream(t.Context(), client, base+benchPath, enc, benchMarkers())
					if err != nil {
						t.Fatalf("%v (so far: %s)", err, tm)
					}
					if tm.ProtoMajor != 2 {
						t.Errorf("response protocol = %s, want HTTP/2", tm.Proto)
					}
					checkStreamed(t, tm, enc)
				})
			}
		})
	}
}

// TestH2CNeedsFlag checks that unencrypted HTTP/2 is spoken only when asked
// for: without -h2c a prior-knowledge client gets no HTTP/2 response, while
// HTTP/1.1 works on the same port.
func TestH2CNeedsFlag(t *testing.T) {
	base := startServer(t, "http", plainClient()) // ready: HTTP/1.1 answers
	client := h2cClient()
	client.Timeout = 5 * time.Second
	resp, err := client.Get(base + "/healthz")
	if err == nil {
		resp.Body.Close()
		if resp.ProtoMajor == 2 {
			t.Fatalf("h2c request without -h2c: got %s %s, want no HTTP/2 response", resp.Proto, resp.Status)
		}
		t.Logf("h2c request without -h2c: %s %s", resp.Proto, resp.Status)
		return
	}
	t.Logf("h2c request without -h2c refused, as wanted: %v", err)
}
