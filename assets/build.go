package assets

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/url"
	"path"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tdewolff/minify/v2"
	"github.com/tdewolff/minify/v2/css"
	"github.com/tdewolff/minify/v2/js"
)

// builder turns a file tree into a snapshot. [New] uses one once; a [NewDev]
// registry keeps one and reuses the finished assets of files whose bytes
// did not change.
type builder struct {
	cfg   config
	m     *minify.M
	keep  bool              // remember finished assets for the next build
	cache map[string]*Asset // by cacheKey, from the last successful build
}

func newBuilder(cfg config, keep bool) *builder {
	m := minify.New()
	m.AddFunc("text/css", css.Minify)
	m.AddFunc("text/javascript", js.Minify)
	return &builder{cfg: cfg, m: m, keep: keep}
}

// source is one file to serve, as read.
type source struct {
	name string
	raw  []byte
}

// build reads, minifies and compresses every file of fsys, adds the bundles
// and returns the finished snapshot. The work per file runs on all CPUs;
// the result does not depend on the order it finishes in.
func (b *builder) build(fsys fs.FS) (*snapshot, error) {
	var srcs []source
	err := walk(fsys, func(name string) error {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return fmt.Errorf("assets: read %s: %w", name, err)
		}
		srcs = append(srcs, source{name, raw})
		return nil
	})
	if err != nil {
		return nil, err
	}
	assets, keys, err := b.files(srcs)
	if err != nil {
		return nil, err
	}
	byName := make(map[string]*Asset, len(assets)+len(b.cfg.bundles))
	for _, a := range assets {
		byName[a.Name] = a
	}
	z := newCompressor()
	for _, spec := range b.cfg.bundles {
		a, key, err := b.bundle(spec, byName, z)
		if err != nil {
			return nil, err
		}
		byName[a.Name] = a
		assets, keys = append(assets, a), append(keys, key)
	}
	if b.keep {
		b.cache = make(map[string]*Asset, len(assets))
		for i, a := range assets {
			b.cache[keys[i]] = a
		}
		for i, a := range assets { // the cache keeps the id-less originals
			c := *a
			assets[i] = &c
		}
	}
	return newSnapshot(assets)
}

// walk calls fn with the name of every file of fsys that is served: regular
// files, except Go sources and names starting with "." or "_" (also for
// directories, whose whole tree is then skipped). The order is lexical.
func walk(fsys fs.FS, fn func(name string) error) error {
	return fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		base := path.Base(name)
		hidden := strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_")
		if d.IsDir() {
			if name != "." && hidden {
				return fs.SkipDir
			}
			return nil
		}
		if hidden || strings.HasSuffix(base, ".go") {
			return nil
		}
		return fn(name)
	})
}

// files finishes every source in parallel. It returns the first error in
// name order, so a broken tree always reports the same file.
func (b *builder) files(srcs []source) ([]*Asset, []string, error) {
	out := make([]*Asset, len(srcs))
	keys := make([]string, len(srcs))
	errs := make([]error, len(srcs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(srcs)) {
		wg.Go(func() {
			z := newCompressor()
			for i := int(next.Add(1) - 1); i < len(srcs); i = int(next.Add(1) - 1) {
				out[i], keys[i], errs[i] = b.file(srcs[i], z)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, nil, err
		}
	}
	return out, keys, nil
}

// file classifies, minifies and finishes one source, or takes it from the
// cache when the same name had the same bytes in the last build.
func (b *builder) file(src source, z *compressor) (*Asset, string, error) {
	key := b.cacheKey(src.name, src.raw)
	if a := b.cache[key]; a != nil {
		return a, key, nil
	}
	a := &Asset{Name: src.name, Type: Other, RawSize: len(src.raw), Body: src.raw}
	ext := path.Ext(src.name)
	var mediatype string
	switch ext {
	case ".css":
		a.Type, mediatype, a.ContentType = CSS, "text/css", "text/css; charset=utf-8"
	case ".js", ".mjs":
		a.Type, mediatype, a.ContentType = JS, "text/javascript", "text/javascript; charset=utf-8"
	default:
		if a.ContentType = mime.TypeByExtension(ext); a.ContentType == "" {
			a.ContentType = "application/octet-stream"
		}
	}
	if mediatype != "" {
		// m.Bytes may modify its input: hand it a copy.
		out, err := b.m.Bytes(mediatype, bytes.Clone(src.raw))
		if err != nil {
			return nil, "", fmt.Errorf("assets: minify %s: %w", src.name, err)
		}
		a.Body = out
	}
	return a, key, b.finish(a, z)
}

// cacheKey names a build input for the dev cache; "" when not caching.
func (b *builder) cacheKey(name string, input []byte) string {
	if !b.keep {
		return ""
	}
	sum := sha256.Sum256(input)
	return name + "\x00" + string(sum[:])
}

// compress returns a's Body in gzip and in brotli: from [compressed] when
// this process has compressed the same bytes before, else with z.
func compress(a *Asset, z *compressor) (variants, error) {
	if v, ok := compressed.get(a.sum); ok {
		return v, nil
	}
	gz, err := z.gzip(a.Body)
	if err != nil {
		return variants{}, fmt.Errorf("assets: gzip %s: %w", a.Name, err)
	}
	br, err := z.brotli(a.Body)
	if err != nil {
		return variants{}, fmt.Errorf("assets: brotli %s: %w", a.Name, err)
	}
	v := variants{gz: gz, br: br}
	compressed.put(a.sum, v)
	return v, nil
}

// finish computes everything derived from a's Body: hash, URL, ETags, the
// compressed variants, the inline form and the header values.
func (b *builder) finish(a *Asset, z *compressor) error {
	a.sum = sha256.Sum256(a.Body)
	hash := hex.EncodeToString(a.sum[:])
	a.path = b.cfg.prefix + hashedName(a.Name, hash[:hashLen])
	a.URL = (&url.URL{Path: a.path}).EscapedPath()
	tag := hash[:32]
	a.ETag = `"` + tag + `"`
	a.hdrType = []string{a.ContentType}
	a.enc[identity] = newVariant(identity, a.Body, a.ETag)
	if len(a.Body) > 0 && compressible(a.ContentType) {
		v, err := compress(a, z)
		if err != nil {
			return err
		}
		if len(v.gz) < len(a.Body) {
			a.Gzip, a.enc[gzipCoding] = v.gz, newVariant(gzipCoding, v.gz, `"`+tag+`-gz"`)
		}
		if len(v.br) < len(a.Body) {
			a.Brotli, a.enc[brCoding] = v.br, newVariant(brCoding, v.br, `"`+tag+`-br"`)
		}
	}
	if inlinable(a, b.cfg.inlineLimit) {
		a.inline, a.inlineOK = string(a.Body), true
	}
	return nil
}
