package page

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
	"github.com/bigpipe-go/bigpipe/pages"
)

// customName is the name of the scenario -delays defines.
const customName = "custom"

// manySeed seeds the "many" scenario's delays, so that every run of the
// benchmark, on every machine, measures the same page.
const manySeed = 0xB16_919E

// quickScale divides every built-in scenario's delays under -quick: the
// same shapes in an eighth of the time.
const quickScale = 8

// scenarioDoc says what a scenario shows.
func scenarioDoc(name string) string {
	switch name {
	case "default":
		return "fastest first: each pagelet against its own delay"
	case "reversed":
		return "slowest first: in-order streaming is blocked behind p0, pipelining is not"
	case "equal":
		return "six equal delays: every pagelet is ready at once"
	case "one-slow":
		return "one slow backend: five quick pagelets must not wait for the sixth"
	case "many":
		return "32 pagelets, random delays from a fixed seed: many small flushes"
	case "zero":
		return "no delay at all: the pure rendering cost of each mode"
	case customName:
		return "the delays given with -delays"
	}
	return ""
}

// builtinScenarios returns the built-in scenarios, delays divided by scale
// (1: as documented).
func builtinScenarios(scale int) []Scenario {
	list := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x/scale) * time.Millisecond // /bench takes whole ms
		}
		return out
	}
	many := manyDelays(32, 300*time.Millisecond)
	for i := range many {
		many[i] = (many[i] / time.Duration(scale)).Truncate(time.Millisecond)
	}
	return []Scenario{
		{Name: "default", Delays: list(50, 100, 200, 400, 800, 1600)},
		{Name: "reversed", Delays: list(1600, 800, 400, 200, 100, 50)},
		{Name: "equal", Delays: list(200, 200, 200, 200, 200, 200)},
		{Name: "one-slow", Delays: list(20, 20, 20, 20, 20, 2000)},
		{Name: "many", Delays: many},
		{Name: "zero", Delays: list(0, 0, 0, 0, 0, 0)},
	}
}

// manyDelays returns n delays of whole milliseconds from 0 to maxDelay,
// drawn from a PCG generator with a constant seed: the same list every time.
func manyDelays(n int, maxDelay time.Duration) []time.Duration {
	r := rand.New(rand.NewPCG(manySeed, manySeed>>7))
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration(r.IntN(int(maxDelay.Milliseconds())+1)) * time.Millisecond
	}
	return out
}

// selectScenarios returns the scenarios to run: those named in names (a
// comma list; empty means every built-in one, or only the custom one when
// delays is set), plus the custom scenario from delays (a comma list of
// milliseconds, as /bench takes it) when set. Under quick the built-in
// scenarios are scaled down; the custom one never is.
func selectScenarios(names, delays string, quick bool) ([]Scenario, error) {
	scale := 1
	if quick {
		scale = quickScale
	}
	all := builtinScenarios(scale)
	var custom *Scenario
	if delays != "" {
		d, err := pages.ParseDelays(delays)
		if err != nil {
			return nil, fmt.Errorf("-delays: %w", err)
		}
		custom = &Scenario{Name: customName, Delays: d}
	}
	names = strings.TrimSpace(names)
	if names == "" {
		if custom != nil {
			return []Scenario{*custom}, nil
		}
		return all, nil
	}
	var out []Scenario
	for _, n := range strings.Split(names, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if slices.ContainsFunc(out, func(s Scenario) bool { return s.Name == n }) {
			continue
		}
		if n == customName {
			if custom == nil {
				return nil, fmt.Errorf("-scenarios: %q needs -delays", customName)
			}
			out = append(out, *custom)
			continue
		}
		i := slices.IndexFunc(all, func(s Scenario) bool { return s.Name == n })
		if i < 0 {
			return nil, fmt.Errorf("-scenarios: unknown scenario %q (known: %s, %s with -delays)", n, strings.Join(scenarioNames(all), ", "), customName)
		}
		out = append(out, all[i])
	}
	if custom != nil && !slices.ContainsFunc(out, func(s Scenario) bool { return s.Name == customName }) {
		out = append(out, *custom)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-scenarios: no scenario in %q", names)
	}
	return out, nil
}

func scenarioNames(scs []Scenario) []string {
	out := make([]string, len(scs))
	for i, s := range scs {
		out[i] = s.Name
	}
	return out
}

// slowest is the largest delay, 0 for none.
func slowest(delays []time.Duration) time.Duration {
	if len(delays) == 0 {
		return 0
	}
	return slices.Max(delays)
}

// scenarioURL is the /bench address of sc in mode m. The crawler mode has
// no mode parameter: the server's own detection decides, from the
// User-Agent (see modeUA).
func scenarioURL(baseURL string, sc Scenario, m Mode) string {
	u := strings.TrimRight(baseURL, "/") + "/bench?delays=" + measure.DelaysSpec(sc.Delays)
	if m != Crawler {
		u += "&mode=" + string(m)
	}
	return u
}

// modeUA is the User-Agent the requests of mode m send.
func modeUA(m Mode) string {
	if m == Crawler {
		return GooglebotUA
	}
	return ChromeUA
}
