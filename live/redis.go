package live

import (
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/centrifugal/centrifuge"
)

// WithRedis makes the engine fan publications out through Redis, so that a
// publication made on any instance reaches the pages connected to every
// instance: centrifuge's Redis broker (pub/sub for delivery, a stream per
// channel for history and positions) and its Redis presence manager. Each
// URL, redis://[[user]:password@]host:port[/db], is one shard: with
// several, each channel lives on one of them, chosen by a consistent hash
// of its name (see [ShardOf]), so that adding a shard moves about 1/n of
// the channels. Every instance must be given the same URLs in the same
// order, and the same secret ([WithSecret]): New fails without one. A URL
// that cannot be parsed, or a Redis that cannot be reached when New runs,
// makes New fail. Without WithRedis the engine's broker is in memory: one
// instance only.
func WithRedis(urls ...string) Option {
	return func(c *config) { c.redis = append(c.redis, urls...) }
}

// errRedisNoSecret is New's answer to WithRedis without WithSecret.
var errRedisNoSecret = errors.New("live: New: WithRedis needs WithSecret: a page rendered by one instance " +
	"connects to whichever instance the load balancer picks, which must verify its token with the same key")

// parseRedisURL reads one WithRedis URL into a shard's configuration. The
// error names the URL, its password hidden.
func parseRedisURL(raw string) (centrifuge.RedisShardConfig, error) {
	var c centrifuge.RedisShardConfig
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse's error quotes the URL whole: say what is wrong
		// without the password it may hold.
		return c, fmt.Errorf("live: WithRedis: %q is not a URL such as redis://127.0.0.1:6379/0", redact(raw))
	}
	bad := func(why string) error {
		return fmt.Errorf("live: WithRedis: %q: %s (want redis://[[user]:password@]host:port[/db])", u.Redacted(), why)
	}
	if u.Scheme != "redis" {
		return c, bad("the scheme must be redis://")
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil || host == "" || port == "" {
		return c, bad("it needs a host and a port")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return c, bad("bad port " + port)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return c, bad("no query or fragment is understood")
	}
	if db := strings.TrimPrefix(u.Path, "/"); db != "" {
		n, err := strconv.Atoi(db)
		if err != nil || n < 0 {
			return c, bad("the path must be a database number")
		}
		c.DB = n
	}
	if u.User != nil {
		c.User = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	c.Address = net.JoinHostPort(host, port)
	return c, nil
}

// redact hides what could be a password in a string that is not a URL:
// everything between "://" and the last '@'.
func redact(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if i := strings.LastIndexByte(rest, '@'); ok && i >= 0 {
		return scheme + "://xxxxx@" + rest[i+1:]
	}
	return s
}

// useRedis makes e's node use the Redis shards at urls as its broker
// (noting what it delivers in e.seen) and presence manager. It returns the
// shards, which the caller closes once the node is shut down (the broker
// does not close them).
func useRedis(e *Engine, urls []string) ([]*centrifuge.RedisShard, error) {
	node := e.node
	confs := make([]centrifuge.RedisShardConfig, len(urls))
	for i, raw := range urls {
		c, err := parseRedisURL(raw)
		if err != nil {
			return nil, err
		}
		confs[i] = c
	}
	shards := make([]*centrifuge.RedisShard, 0, len(confs))
	fail := func(err error) ([]*centrifuge.RedisShard, error) {
		closeShards(shards)
		return nil, err
	}
	for i, c := range confs {
		s, err := centrifuge.NewRedisShard(node, c)
		if err != nil {
			return fail(fmt.Errorf("live: Redis shard %s: %w", redact(urls[i]), err))
		}
		shards = append(shards, s)
	}
	broker, err := centrifuge.NewRedisBroker(node, centrifuge.RedisBrokerConfig{Shards: shards})
	if err != nil {
		return fail(fmt.Errorf("live: Redis broker: %w", err))
	}
	presence, err := centrifuge.NewRedisPresenceManager(node, centrifuge.RedisPresenceManagerConfig{Shards: shards})
	if err != nil {
		return fail(fmt.Errorf("live: Redis presence manager: %w", err))
	}
	node.SetBroker(&trackingBroker{RedisBroker: broker, e: e})
	node.SetPresenceManager(presence)
	return shards, nil
}

func closeShards(shards []*centrifuge.RedisShard) {
	for _, s := range shards {
		s.Close()
	}
}

// ShardOf returns the index, among n Redis shards given to [WithRedis] in
// the same order, of the one that holds channel: its history, position and
// pub/sub. It is centrifuge's own choice (a jump consistent hash of the
// channel's FNV-1a hash), repeated here so that an operator can tell which
// Redis a channel depends on, and so that the engine's health probe reads
// one channel on each shard. n < 2 gives 0.
func ShardOf(channel string, n int) int {
	if n < 2 {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(channel))
	key := h.Sum64()
	var b, j int64 = -1, 0
	for j < int64(n) {
		b = j
		key = key*2862933555777941757 + 1
		j = int64(float64(b+1) * (float64(int64(1)<<31) / float64((key>>33)+1)))
	}
	return int(b)
}
