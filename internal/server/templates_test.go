package server_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	tagRE       = regexp.MustCompile(`(?is)<[a-z][a-z0-9-]*\b[^>]*>`)
	scriptRE    = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script\s*>`)
	handlerRE   = regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
	styleAttrRE = regexp.MustCompile(`(?i)\sstyle\s*=`)
	styleElemRE = regexp.MustCompile(`(?i)<style\b`)
)

// selfContained are the template directories of the printable documents:
// they carry their own <style> and are served with server.DocumentCSP,
// which allows inline style and no script at all.
var selfContained = []string{filepath.Join("..", "docs", "templates")}

// TestTemplatesHaveNoInlineCode scans every embedded HTML template of the
// application for what the CSP refuses: inline <script> bodies, on*=
// handler attributes, javascript: URLs, and (outside the printable
// documents) style attributes and <style> elements. The CSP would block
// them at run time; this finds them before a user does.
func TestTemplatesHaveNoInlineCode(t *testing.T) {
	n := 0
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".html") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		src := string(b)
		for _, m := range scriptRE.FindAllStringSubmatch(src, -1) {
			if !strings.Contains(strings.ToLower(m[1]), "src=") || strings.TrimSpace(m[2]) != "" {
				t.Errorf("%s: inline script %.80q", path, m[0])
			}
		}
		if strings.Contains(strings.ToLower(src), "javascript:") {
			t.Errorf("%s: javascript: URL", path)
		}
		doc := false
		for _, dir := range selfContained {
			doc = doc || strings.HasPrefix(path, dir+string(filepath.Separator))
		}
		if !doc && styleElemRE.MatchString(src) {
			t.Errorf("%s: <style> element (the CSP allows no inline style; use a stylesheet)", path)
		}
		for _, tag := range tagRE.FindAllString(src, -1) {
			// Template actions inside a tag are not attributes.
			plain := regexp.MustCompile(`\{\{.*?\}\}`).ReplaceAllString(tag, " ")
			if handlerRE.MatchString(plain) {
				t.Errorf("%s: event handler attribute in %.120q", path, tag)
			}
			if !doc && styleAttrRE.MatchString(plain) {
				t.Errorf("%s: style attribute in %.120q (use a class in the stylesheet)", path, tag)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 60 {
		t.Fatalf("scanned only %d templates", n)
	}
}

// TestNoInlineCodeInGoOrScripts looks for the same in the HTML and SVG the
// Go code writes itself and in the static scripts: no event handler
// attributes, style attributes, javascript: URLs or eval.
func TestNoInlineCodeInGoOrScripts(t *testing.T) {
	bad := regexp.MustCompile(`(?i)(\son[a-z]+=\\?"|\sstyle=\\?"|javascript:|<script>)`)
	jsBad := regexp.MustCompile(`\beval\(|new Function\(|setAttribute\(\s*['"](style|on[a-z]+)['"]|javascript:|\.innerHTML\s*=.*style=`)
	n := 0
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch {
		case strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go"):
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			n++
			for i, line := range strings.Split(string(b), "\n") {
				if strings.HasPrefix(strings.TrimSpace(line), "//") {
					continue
				}
				if bad.MatchString(line) {
					t.Errorf("%s:%d: inline code or style in generated HTML: %s", path, i+1, strings.TrimSpace(line))
				}
			}
		case strings.HasSuffix(path, ".js"):
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			n++
			if m := jsBad.FindString(string(b)); m != "" {
				t.Errorf("%s: %q is refused by the CSP", path, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Fatalf("scanned only %d files", n)
	}
}
