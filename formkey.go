package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// formKeyFile is where a site on a file store without -live-secret keeps
// the key of its forms' CSRF tokens, beside the store.
const formKeyFile = "form.key"

// formKeySize is the length of a kept form key.
const formKeySize = 32

// formKey returns the key of the forms' CSRF tokens. With -live-secret it
// derives from the secret (siteKey), so that every instance of a site
// shares it. Without one, a site on a file store keeps a key of its own
// beside the store, made on first start: a form a reader opened before a
// restart is still accepted after it, as the page's live connection is
// (it fetches a fresh token). Only a site on PostgreSQL with no secret
// gets a key per process, derived from the live engine's random secret.
func formKey(cfg config, secret []byte) ([]byte, error) {
	if cfg.liveSecret != "" || isDatabaseURL(cfg.db) {
		return siteKey(secret), nil
	}
	path := filepath.Join(filepath.Dir(cfg.db), formKeyFile)
	key, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key, err = makeFormKey(path)
	}
	switch {
	case err != nil:
		return nil, fmt.Errorf("form key %s: %w", path, err)
	case len(key) != formKeySize:
		return nil, fmt.Errorf("form key %s: %d bytes, not %d: remove it and a new one is made (forms open in readers' tabs are then refused once)", path, len(key), formKeySize)
	}
	return key, nil
}

// makeFormKey writes a new random key to path, readable by its owner
// alone, or reads the one another process made first.
func makeFormKey(path string) ([]byte, error) {
	key := make([]byte, formKeySize)
	_, _ = rand.Read(key) // never fails (crypto/rand)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(key); err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return nil, err
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(path)
		return nil, err
	}
	return key, nil
}

// siteKey derives the comment form's CSRF key from the live secret, so one
// secret configures both and neither key can stand in for the other.
func siteKey(secret []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("bigpipe demo: comment form CSRF key"))
	return m.Sum(nil)
}
