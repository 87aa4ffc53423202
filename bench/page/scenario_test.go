package page

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bigpipe-go/bigpipe/bench/internal/measure"
)

func TestSelectScenarios(t *testing.T) {
	for _, tc := range []struct {
		name, names, delays string
		quick               bool
		want                []string // scenario names, in order
		wantErr             string   // part of the error; "" for none
	}{
		{name: "all by default", want: []string{"default", "reversed", "equal", "one-slow", "many", "zero"}},
		{name: "named", names: "zero, reversed", want: []string{"zero", "reversed"}},
		{name: "duplicates once", names: "zero,zero", want: []string{"zero"}},
		{name: "delays alone: custom only", delays: "10,30", want: []string{"custom"}},
		{name: "delays with names: added", names: "zero", delays: "10", want: []string{"zero", "custom"}},
		{name: "custom placed", names: "custom,zero", delays: "10", want: []string{"custom", "zero"}},
		{name: "unknown", names: "default,nope", wantErr: `unknown scenario "nope"`},
		{name: "custom without delays", names: "custom", wantErr: "needs -delays"},
		{name: "bad delay", delays: "10,x", wantErr: "not a whole number"},
		{name: "negative delay", delays: "-5", wantErr: "outside 0 to"},
		{name: "too long delay", delays: "60001", wantErr: "outside 0 to"},
		{name: "empty delay", delays: "10,,20", wantErr: "not a whole number"},
		{name: "too many pagelets", delays: strings.Repeat("1,", 64) + "1", wantErr: "at most 64"},
		{name: "only commas", names: ",", wantErr: "no scenario"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := selectScenarios(tc.names, tc.delays, tc.quick)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if names := scenarioNames(got); !slices.Equal(names, tc.want) {
				t.Errorf("scenarios = %q, want %q", names, tc.want)
			}
		})
	}
}

func TestCustomScenarioDelays(t *testing.T) {
	got, err := selectScenarios("", "10, 30", true) // -quick does not scale -delays
	if err != nil {
		t.Fatal(err)
	}
	if want := []time.Duration{10 * time.Millisecond, 30 * time.Millisecond}; !slices.Equal(got[0].Delays, want) {
		t.Errorf("delays = %v, want %v", got[0].Delays, want)
	}
}

func TestBuiltinScenarios(t *testing.T) {
	all := builtinScenarios(1)
	byName := map[string][]time.Duration{}
	for _, sc := range all {
		byName[sc.Name] = sc.Delays
	}
	if got, want := measure.DelaysSpec(byName["default"]), "50,100,200,400,800,1600"; got != want {
		t.Errorf("default = %s, want %s", got, want)
	}
	if got, want := measure.DelaysSpec(byName["one-slow"]), "20,20,20,20,20,2000"; got != want {
		t.Errorf("one-slow = %s, want %s", got, want)
	}
	many := byName["many"]
	if len(many) != 32 {
		t.Fatalf("many has %d pagelets, want 32", len(many))
	}
	if slowest(many) > 300*time.Millisecond || slices.Min(many) < 0 {
		t.Errorf("many = %v, want delays from 0 to 300 ms", many)
	}
	if distinct := len(slices.Compact(slices.Sorted(slices.Values(many)))); distinct < 16 {
		t.Errorf("many has %d distinct delays, want a spread: %v", distinct, many)
	}
	for _, sc := range builtinScenarios(quickScale) {
		for _, d := range sc.Delays {
			if d%time.Millisecond != 0 {
				t.Errorf("quick %s: delay %v is not whole milliseconds (/bench would round it)", sc.Name, d)
			}
		}
		if sc.Name == "default" && measure.DelaysSpec(sc.Delays) != "6,12,25,50,100,200" {
			t.Errorf("quick default = %s", measure.DelaysSpec(sc.Delays))
		}
	}
}

func TestManyDeterministic(t *testing.T) {
	a, b := manyDelays(32, 300*time.Millisecond), manyDelays(32, 300*time.Millisecond)
	if !slices.Equal(a, b) {
		t.Fatalf("two draws differ:\n%v\n%v", a, b)
	}
	sa, sb := builtinScenarios(1), builtinScenarios(1)
	if !slices.EqualFunc(sa, sb, func(x, y Scenario) bool { return x.Name == y.Name && slices.Equal(x.Delays, y.Delays) }) {
		t.Fatal("builtinScenarios differs between calls")
	}
}

func TestScenarioURL(t *testing.T) {
	sc := Scenario{Name: "x", Delays: []time.Duration{50 * time.Millisecond, 0}}
	for _, tc := range []struct {
		m    Mode
		want string
	}{
		{Pipelined, "http://h:1/bench?delays=50,0&mode=pipelined"},
		{Serial, "http://h:1/bench?delays=50,0&mode=serial"},
		{Crawler, "http://h:1/bench?delays=50,0"},
	} {
		if got := scenarioURL("http://h:1/", sc, tc.m); got != tc.want {
			t.Errorf("scenarioURL(%s) = %s, want %s", tc.m, got, tc.want)
		}
	}
	if modeUA(Crawler) != GooglebotUA || modeUA(Pipelined) != ChromeUA {
		t.Error("modeUA: crawler must send Googlebot's User-Agent, the others Chrome's")
	}
}
