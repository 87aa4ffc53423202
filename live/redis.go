package live

import (
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/centrifugal/centrifuge"
)

// WithRedis makes the engine fan publications out through Redis, so that a
// publication made on any instance reaches the pages connected to every
// instance: centrifuge's Redis broker (pub/sub for delivery, a stream per
// channel for history and positions) and its Redis presence manager. Each
// URL is one shard, either one Redis,
//
//	redis://[[user]:password@]host:port[/db]
//
// or a primary that Redis Sentinel watches and fails over to a replica,
// found through its sentinels (the first in the host, more in addr
// parameters):
//
//	redis+sentinel://[[user]:password@]host:port[/db]?sentinel_master_name=NAME[&addr=host:port…][&sentinel_password=P]
//
// With several shards, each channel lives on one of them, chosen by a
// consistent hash of its name (see [ShardOf]), so that adding a shard
// moves about 1/n of the channels. Every instance must be given the same
// URLs in the same order, and the same secret ([WithSecret]): New fails
// without one, and with a URL it cannot use.
//
// A Redis that cannot be reached when New runs does not make it fail: the
// engine starts with its broker down ([Engine.Health] says so, Position
// and Publish return [ErrBrokerDown], pages render without live updates)
// and connects by itself, trying every [RedisRetry], once every shard
// answers. Without WithRedis the engine's broker is in memory: one
// instance only.
func WithRedis(urls ...string) Option {
	return func(c *config) { c.redis = append(c.redis, urls...) }
}

// RedisRetry is how often an engine whose Redis could not be reached at
// start tries again (see [WithRedis]).
const RedisRetry = time.Second

// errRedisNoSecret is New's answer to WithRedis without WithSecret.
var errRedisNoSecret = errors.New("live: New: WithRedis needs WithSecret: a page rendered by one instance " +
	"connects to whichever instance the load balancer picks, which must verify its token with the same key")

// redisURLForm is the form of a WithRedis URL, for error messages.
const redisURLForm = "redis://[[user]:password@]host:port[/db] or redis+sentinel://host:port[/db]?sentinel_master_name=NAME[&addr=host:port]"

// sentinelParams are the query parameters a redis+sentinel:// URL
// understands.
var sentinelParams = map[string]bool{"sentinel_master_name": true, "addr": true, "sentinel_user": true, "sentinel_password": true}

// parseRedisURL reads one WithRedis URL into a shard's configuration. The
// error names the URL, its passwords hidden.
func parseRedisURL(raw string) (centrifuge.RedisShardConfig, error) {
	var c centrifuge.RedisShardConfig
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse's error quotes the URL whole: say what is wrong
		// without the password it may hold.
		return c, fmt.Errorf("live: WithRedis: %q is not a URL such as redis://127.0.0.1:6379/0", redact(raw))
	}
	bad := func(why string) error {
		return fmt.Errorf("live: WithRedis: %q: %s (want %s)", redactURL(u), why, redisURLForm)
	}
	sentinel := u.Scheme == "redis+sentinel"
	if u.Scheme != "redis" && !sentinel {
		return c, bad("the scheme must be redis:// or redis+sentinel://")
	}
	addr, err := hostPort(u.Host)
	if err != nil {
		return c, bad(err.Error())
	}
	if u.Fragment != "" || u.Opaque != "" || (!sentinel && u.RawQuery != "") {
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
	if !sentinel {
		c.Address = addr
		return c, nil
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return c, bad("its query cannot be read")
	}
	for k := range q {
		if !sentinelParams[k] {
			return c, bad("unknown parameter " + k + " (sentinel_master_name, addr, sentinel_user, sentinel_password)")
		}
	}
	if c.SentinelMasterName = q.Get("sentinel_master_name"); c.SentinelMasterName == "" {
		return c, bad("it needs sentinel_master_name, the name the sentinels monitor the primary by")
	}
	c.SentinelAddresses = []string{addr}
	for _, a := range q["addr"] {
		a, err := hostPort(a)
		if err != nil {
			return c, bad("addr: " + err.Error())
		}
		c.SentinelAddresses = append(c.SentinelAddresses, a)
	}
	c.SentinelUser, c.SentinelPassword = q.Get("sentinel_user"), q.Get("sentinel_password")
	return c, nil
}

// CheckRedisURL returns the error [WithRedis] would make [New] return for
// the URL raw, nil if it can use it: a configuration can be checked before
// anything starts.
func CheckRedisURL(raw string) error {
	_, err := parseRedisURL(raw)
	return err
}

// hostPort checks a host:port and returns it.
func hostPort(s string) (string, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" || port == "" {
		return "", errors.New("it needs a host and a port")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", errors.New("bad port " + port)
	}
	return net.JoinHostPort(host, port), nil
}

// redactURL is u with its passwords hidden: the user's and a
// sentinel_password.
func redactURL(u *url.URL) string {
	if q := u.Query(); q.Has("sentinel_password") {
		c := *u
		q.Set("sentinel_password", "xxxxx")
		c.RawQuery = q.Encode()
		return c.Redacted()
	}
	return u.Redacted()
}

// redact hides what could be a password in a string that is not a URL:
// everything between "://" and the last '@', and any query.
func redact(s string) string {
	s, _, _ = strings.Cut(s, "?")
	scheme, rest, ok := strings.Cut(s, "://")
	if i := strings.LastIndexByte(rest, '@'); ok && i >= 0 {
		return scheme + "://xxxxx@" + rest[i+1:]
	}
	return s
}

// RedactRedisURL returns a WithRedis URL with its passwords hidden, for a
// log line.
func RedactRedisURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return redact(raw)
	}
	return redactURL(u)
}

// useRedis makes e's node use the Redis shards at urls as its broker
// (noting what it delivers in e.seen), controller and presence manager,
// through a redisLink: connected now if every shard answers, else later,
// in the background. It fails only on a URL it cannot use. The caller
// closes the link once the node is shut down (the broker does not close
// its shards).
func useRedis(e *Engine, urls []string) (*redisLink, error) {
	confs := make([]centrifuge.RedisShardConfig, len(urls))
	for i, raw := range urls {
		c, err := parseRedisURL(raw)
		if err != nil {
			return nil, err
		}
		confs[i] = c
	}
	l := &redisLink{e: e, urls: urls, confs: confs, stop: make(chan struct{}), done: make(chan struct{})}
	if err := l.connect(); err != nil {
		e.cfg.log.Warn("live: Redis unreachable at start: live updates are off until it answers; trying again every "+RedisRetry.String(),
			"err", err)
		go l.keepTrying()
	} else {
		close(l.done)
	}
	node := e.node
	node.SetBroker(l)
	node.SetPresenceManager(l)
	return l, nil
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
