package main

import (
	"os"
	"os/exec"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestReadmeLayout checks that README.md's map of the repository (its
// "## Layout" table) matches the tree: every path it names exists, every Go
// package directory has a row, and so has every file of the root command.
// A package moved or added without its row fails here, not in review.
func TestReadmeLayout(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	listed := layoutPaths(t, string(readme))

	for _, p := range listed {
		if _, err := os.Stat(strings.TrimSuffix(p, "/")); err != nil {
			t.Errorf("README's Layout names %s, which is not in the tree: %v", p, err)
		}
	}
	has := func(p string) bool {
		return slices.Contains(listed, p) || slices.Contains(listed, p+"/")
	}
	for _, f := range trackedGoFiles(t) {
		dir := path.Dir(f)
		switch {
		case dir == ".":
			if !strings.HasSuffix(f, "_test.go") && !has(f) {
				t.Errorf("README's Layout has no row for the root command's %s", f)
			}
		case !has(dir):
			t.Errorf("README's Layout has no row for the package %s/ (holds %s)", dir, f)
		}
	}
}

// layoutPaths returns the backquoted paths of the first column of the table
// under README's "## Layout" heading.
func layoutPaths(t *testing.T, readme string) []string {
	t.Helper()
	_, section, ok := strings.Cut(readme, "\n## Layout\n")
	if !ok {
		t.Fatal(`README.md has no "## Layout" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	row := regexp.MustCompile("(?m)^\\| `([^`]+)` \\|")
	var paths []string
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		paths = append(paths, m[1])
	}
	if len(paths) == 0 {
		t.Fatal("README.md's Layout section has no rows")
	}
	return paths
}

// trackedGoFiles lists the module's Go files as git tracks them, so that a
// scratch file in the working tree does not count.
func trackedGoFiles(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("git", "ls-files", "*.go").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	return strings.Fields(string(out))
}
