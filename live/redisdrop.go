package live

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/redis/rueidis"
)

// dropTimeout bounds dropHistory.
const dropTimeout = 5 * time.Second

// dropHistory deletes channel ch's history stream and its meta (offset
// and epoch) on shard i, so that the next read or publication starts the
// channel afresh in a new epoch: every client then refetches instead of
// recovering. Centrifuge's own RemoveHistory keeps the meta, and with it
// the epoch. The keys are centrifuge's (its default prefix, not a Redis
// Cluster). It uses a connection of its own, made for the call: it is
// rare (a history that went back, see resyncRound).
func (l *redisLink) dropHistory(i int, ch string) error {
	c := l.confs[i]
	opt := rueidis.ClientOption{InitAddress: []string{c.Address}, Username: c.User, Password: c.Password, SelectDB: c.DB,
		DisableCache: true, DisableRetry: true, Dialer: defaultDialer()}
	if len(c.SentinelAddresses) > 0 {
		opt.InitAddress = c.SentinelAddresses
		opt.Sentinel = rueidis.SentinelOption{MasterSet: c.SentinelMasterName, Username: c.SentinelUser, Password: c.SentinelPassword}
	}
	client, err := rueidis.NewClient(opt)
	if err != nil {
		return fmt.Errorf("live: drop the history of %q: %w", ch, err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), dropTimeout)
	defer cancel()
	cmd := client.B().Del().Key("centrifuge.stream."+ch, "centrifuge.stream.meta."+ch).Build()
	if err := client.Do(ctx, cmd).Error(); err != nil {
		return fmt.Errorf("live: drop the history of %q: %w", ch, err)
	}
	return nil
}

// defaultDialer is dropHistory's: centrifuge's connect timeout.
func defaultDialer() net.Dialer { return net.Dialer{Timeout: time.Second} }
