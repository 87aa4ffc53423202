//go:build !linux

package live

import "errors"

// poller is Linux's alone (poller_linux.go): elsewhere each held
// connection reads from a goroutine of its own.
type poller struct{}

type heldSocket interface {
	Control(func(fd uintptr)) error
}

func newPoller() (*poller, error) { return nil, errors.New("live: no poller on this system") }

func (p *poller) watch(heldSocket, pollee) (func(), error) {
	return nil, errors.New("live: no poller on this system")
}

func (p *poller) len() int { return 0 }
func (p *poller) close()   {}
