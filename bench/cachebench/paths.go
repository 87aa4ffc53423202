package cachebench

// The zero-delay /bench page of the load figure (six pagelets, none
// waits), pipelined: fully cached (cache=1, see pages.Bench) and not.
const (
	UncachedPath = "/bench?delays=0,0,0,0,0,0&mode=pipelined"
	CachedPath   = UncachedPath + "&cache=1"
)
