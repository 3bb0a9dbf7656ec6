package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// redactionSpellings are ways to write "a secret was here". Package secret
// spells it once (secret.Redacted) and owns the only scrubber; a string
// literal holding one of these anywhere else is a second scrubber or a
// second spelling in the making.
var redactionSpellings = []string{"<secret>", "<redacted>", "[redacted]", "redacted>", "xxxxx", "****", "(secret)"}

// spelledRedactions lists "file:line: literal" for every string literal in
// the non-test Go files under root (testdata, hidden directories and
// package secret excepted) that spells a redaction.
func spelledRedactions(t *testing.T, root string, skipDirs ...string) []string {
	t.Helper()
	var found []string
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			rel, _ := filepath.Rel(root, path)
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			for _, s := range skipDirs {
				if rel == s {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			v, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			v = strings.ToLower(v)
			for _, s := range redactionSpellings {
				if strings.Contains(v, s) {
					found = append(found, fset.Position(lit.Pos()).String()+": "+lit.Value)
					break
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatalf("walking %s: %v", root, err)
	}
	return found
}

// TestOneRedactionSpelling: secrets are hidden by package secret only
// (typed values, one Scrubber, secret.URL); no other production file
// spells a redaction.
func TestOneRedactionSpelling(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	root := strings.TrimSpace(string(out))
	for _, f := range spelledRedactions(t, root, "secret") {
		t.Errorf("%s: spells a redaction; use package secret (secret.Redacted, a secret.Scrubber or secret.URL) instead of a second scrubber", f)
	}
}

// TestOneRedactionSpellingCatchesARogueScrubber: the search above finds a
// scrubber that spells its own redaction (testdata/rogue), so an empty
// result means there is none, not that the search is blind.
func TestOneRedactionSpellingCatchesARogueScrubber(t *testing.T) {
	found := spelledRedactions(t, filepath.Join("testdata", "rogue"))
	if len(found) != 2 {
		t.Fatalf("found %d spelled redactions in testdata/rogue, want 2 (\"<REDACTED>\" and \"xxxxx\"): %q", len(found), found)
	}
}
