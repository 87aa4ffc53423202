package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
	"unicode"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Bucket layout:
//
//	meta      "version" → seedVersion, "seeded" → when the content was seeded (RFC 3339)
//	articles  slug → Article (JSON)
//	sections  <section> → (sectionKey → slug), newest first
//	data      "markets" → []Quote, "scores" → []Score, "weather" → Weather,
//	          "breaking" → Breaking (once set; see [Store.Breaking])
//	comments  <slug> → ("items" → (8-byte sequence → Comment), "ids" → (comment id → sequence))
var (
	bucketMeta     = []byte("meta")
	bucketArticles = []byte("articles")
	bucketSections = []byte("sections")
	bucketData     = []byte("data")
	bucketComments = []byte("comments")
)

// seedVersion is the layout of a seeded database. Version 1 had no
// "seeded" time and no kick-off times in its scores; [Store.seed] upgrades
// such a file in place.
const seedVersion = "2"

// newestAge is how long before the seeding the newest article is dated
// (see seedArticles): a version-1 file's seeding time is its newest
// article's plus this.
const newestAge = 4 * time.Minute

// seed fills an empty database with the demo content, upgrades one seeded
// by an older version, and returns when the content was seeded. A database
// that is already seeded is otherwise left alone: its times are moved
// forward when read (see [Store.shift]). With a [Shared] store the content
// is seeded at its anchor (s.seedAt), again if it was seeded at another time.
func (s *Store) seed() (seeded time.Time, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		switch v := string(meta.Get([]byte("version"))); {
		case v == "":
		case !s.seedAt.IsZero():
			// Dated from the shared anchor: a file seeded at another
			// time, or by another version, is seeded again.
			if v == seedVersion && seeded.UnmarshalText(meta.Get([]byte("seeded"))) == nil && seeded.Equal(s.seedAt) {
				return nil
			}
			if err := clearSeed(tx); err != nil {
				return err
			}
		case v == seedVersion:
			if err := seeded.UnmarshalText(meta.Get([]byte("seeded"))); err != nil {
				return fmt.Errorf("store: seeding time: %w", err)
			}
			return nil
		case v == "1":
			seeded, err = upgradeV1(tx, meta)
			return err
		default:
			return fmt.Errorf("store: database of unknown version %q", v)
		}
		seeded = s.now().Truncate(time.Minute)
		if !s.seedAt.IsZero() {
			seeded = s.seedAt
		}
		arts, err := tx.CreateBucketIfNotExists(bucketArticles)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		secs, err := tx.CreateBucketIfNotExists(bucketSections)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		for _, a := range seedArticles(seeded) {
			idx, err := secs.CreateBucketIfNotExists([]byte(a.Section))
			if err != nil {
				return fmt.Errorf("store: %w", err)
			}
			v, err := json.Marshal(a)
			if err != nil {
				return fmt.Errorf("store: %w", err)
			}
			if err := arts.Put([]byte(a.Slug), v); err != nil {
				return fmt.Errorf("store: %w", err)
			}
			if err := idx.Put(sectionKey(a.Published, a.Slug), []byte(a.Slug)); err != nil {
				return fmt.Errorf("store: %w", err)
			}
		}
		data, err := tx.CreateBucketIfNotExists(bucketData)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		for key, v := range map[string]any{
			SourceMarkets: seedMarkets(),
			SourceScores:  seedScores(seeded),
			SourceWeather: seedWeather(),
		} {
			b, err := json.Marshal(v)
			if err != nil {
				return fmt.Errorf("store: %w", err)
			}
			if err := data.Put([]byte(key), b); err != nil {
				return fmt.Errorf("store: %w", err)
			}
		}
		return setVersion(meta, seeded)
	})
	return seeded, err
}

// clearSeed deletes the seeded buckets, to seed them again.
func clearSeed(tx *bolt.Tx) error {
	for _, b := range [][]byte{bucketArticles, bucketSections, bucketData} {
		if err := tx.DeleteBucket(b); err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
			return fmt.Errorf("store: reseed: %w", err)
		}
	}
	return nil
}

// setVersion records a database as seeded at seeded by this version.
func setVersion(meta *bolt.Bucket, seeded time.Time) error {
	t, err := seeded.UTC().MarshalText()
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := meta.Put([]byte("seeded"), t); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := meta.Put([]byte("version"), []byte(seedVersion)); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// upgradeV1 brings a version-1 database to this version: it derives the
// seeding time from the newest article, stores the scores again with
// kick-off times, and records both.
func upgradeV1(tx *bolt.Tx, meta *bolt.Bucket) (time.Time, error) {
	var newest time.Time
	err := tx.Bucket(bucketArticles).ForEach(func(k, v []byte) error {
		var a Article
		if err := json.Unmarshal(v, &a); err != nil {
			return fmt.Errorf("store: decode %s: %w", k, err)
		}
		if a.Published.After(newest) {
			newest = a.Published
		}
		return nil
	})
	if err != nil {
		return time.Time{}, err
	}
	if newest.IsZero() {
		return time.Time{}, fmt.Errorf("store: version 1 database without articles")
	}
	seeded := newest.Add(newestAge)
	b, err := json.Marshal(seedScores(seeded))
	if err != nil {
		return time.Time{}, fmt.Errorf("store: %w", err)
	}
	if err := tx.Bucket(bucketData).Put([]byte(SourceScores), b); err != nil {
		return time.Time{}, fmt.Errorf("store: %w", err)
	}
	return seeded, setVersion(meta, seeded)
}

// seedArticles turns the seed stories into articles published over the last
// few days before now (the newest newestAge before it), with deterministic
// view and comment counts.
func seedArticles(now time.Time) []Article {
	rng := rand.New(rand.NewPCG(2010, 6)) // fixed seed: same content every run
	now = now.Truncate(time.Minute)
	seen := make(map[string]int)
	stories := seedStories()
	var out []Article
	for si, sec := range Sections() {
		authors := seedAuthors()[sec]
		for i, st := range stories[sec] {
			slug := slugify(st.title)
			if n := seen[slug]; n > 0 {
				slug = fmt.Sprintf("%s-%d", slug, n+1)
			}
			seen[slug]++
			age := time.Duration(i)*97*time.Minute + time.Duration(si)*11*time.Minute + newestAge
			views := int(float64(48000)*math.Pow(0.83, float64(i))) + rng.IntN(9000) + 400
			if sec == "hotnews" {
				views = views * 5 / 4 // the front page gets more traffic
			}
			out = append(out, Article{
				ID:        len(out) + 1,
				Slug:      slug,
				Section:   sec,
				Title:     st.title,
				Summary:   st.summary,
				Body:      body(sec, st.detail),
				Author:    authors[i%len(authors)],
				Published: now.Add(-age),
				Views:     views,
				Comments:  views/(35+rng.IntN(60)) + rng.IntN(12),
			})
		}
	}
	return out
}

func body(section, detail string) []string {
	if section == "hotnews" {
		return []string{detail, "This is a developing story and will be updated."}
	}
	return []string{detail}
}

// slugify makes a URL path segment of lower-case letters, digits and hyphens.
func slugify(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		r = unaccent(r)
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
		if b.Len() >= 72 {
			break
		}
	}
	return strings.TrimRight(b.String(), "-")
}

// unaccent maps the accented Latin letters used in the seed titles to plain ASCII.
func unaccent(r rune) rune {
	switch r {
	case 'á', 'à', 'â', 'ä':
		return 'a'
	case 'é', 'è', 'ê', 'ë':
		return 'e'
	case 'í', 'î', 'ï':
		return 'i'
	case 'ó', 'ô', 'ö':
		return 'o'
	case 'ú', 'û', 'ü':
		return 'u'
	case 'ç':
		return 'c'
	case 'ñ':
		return 'n'
	}
	return r
}

// seedMarkets builds the market table with a deterministic random-walk history
// that ends at each instrument's price.
func seedMarkets() []Quote {
	rng := rand.New(rand.NewPCG(1987, 3))
	qs := []Quote{
		{Symbol: "DP100", Name: "Daily Pipe 100", Price: 8412.35, Change: 57.12, Decimals: 2},
		{Symbol: "TECH50", Name: "Tech 50", Price: 3120.84, Change: -21.40, Decimals: 2},
		{Symbol: "MIDCAP", Name: "Mid-Cap 250", Price: 19874.10, Change: 102.55, Decimals: 2},
		{Symbol: "EURUSD", Name: "Euro / Dollar", Price: 1.0842, Change: 0.0031, Decimals: 4},
		{Symbol: "GOLD", Name: "Gold (oz)", Price: 2341.50, Change: -8.20, Decimals: 2, Unit: "$"},
		{Symbol: "BRENT", Name: "Brent crude", Price: 77.82, Change: -1.14, Decimals: 2, Unit: "$"},
		{Symbol: "BOND10", Name: "10-year yield", Price: 3.12, Change: -0.05, Decimals: 2, Unit: "%"},
	}
	for i := range qs {
		q := &qs[i]
		const n = 24
		h := make([]float64, n)
		p := q.Price
		step := math.Abs(q.Change) / 3
		for j := n - 1; j >= 0; j-- {
			h[j] = round(p, q.Decimals)
			p -= q.Change/n + (rng.Float64()-0.5)*step
		}
		q.History = h
	}
	return qs
}

func round(x float64, decimals int) float64 {
	p := math.Pow(10, float64(decimals))
	return math.Round(x*p) / p
}
