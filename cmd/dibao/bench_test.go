package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"dibao/internal/bench"
	"dibao/internal/testenv"
)

// TestBenchAllSmoke runs `dibao bench all` at a small size with the built
// binary (so the api scenario starts `dibao serve` as a child) on both
// stores. It checks the harness, not speed: every scenario ran and
// reported, every op of the app had its raw counterpart where it has one,
// nothing failed, and the JSON report holds what the table printed.
func TestBenchAllSmoke(t *testing.T) {
	bin := buildDibao(t)
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			args := []string{"bench", "all", "--households", "400", "--candidates", "12", "--answers", "4", "--requests", "150"}
			if kind == "postgres" {
				_, dsn := testenv.PostgresDSN(t)
				args = append(args, "--db", dsn)
			}
			out := filepath.Join(t.TempDir(), "bench.json")
			cmd := exec.Command(bin, append(args, "--json", out)...)
			cmd.Env = withoutDibaoEnv()
			var o, e bytes.Buffer
			cmd.Stdout, cmd.Stderr = &o, &e
			if err := cmd.Run(); err != nil {
				t.Fatalf("bench all: %v\nstdout:\n%s\nstderr:\n%s", err, o.String(), tail(e.String(), 3000))
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			var rep bench.Report
			if err := json.Unmarshal(b, &rep); err != nil {
				t.Fatal(err)
			}
			if rep.Dialect != kind || rep.Households != 400 {
				t.Errorf("report header %+v", rep)
			}
			seen := map[string]int{}
			for _, r := range rep.Results {
				seen[r.Scenario]++
				if r.Ops <= 0 || (r.App <= 0 && r.Unit != "MB") { // serve RSS counts megabytes, not time
					t.Errorf("%s/%s: ops %d, app %v", r.Scenario, r.Name, r.Ops, r.App)
				}
				if r.Errors != 0 {
					t.Errorf("%s/%s: %d errors", r.Scenario, r.Name, r.Errors)
				}
				if r.Raw > 0 && r.Ratio <= 0 {
					t.Errorf("%s/%s: raw %v but ratio %v", r.Scenario, r.Name, r.Raw, r.Ratio)
				}
				if r.Target != "" && r.Met == nil {
					t.Errorf("%s/%s: target %q without a verdict", r.Scenario, r.Name, r.Target)
				}
				if !strings.Contains(o.String(), r.Name) {
					t.Errorf("%s/%s not in the printed table", r.Scenario, r.Name)
				}
			}
			for _, s := range bench.Scenarios {
				if seen[s.Name] == 0 {
					t.Errorf("scenario %s reported nothing", s.Name)
				}
			}
			targets := 0
			for _, r := range rep.Results {
				if r.Target != "" {
					targets++
				}
			}
			if targets < len(bench.Scenarios) {
				t.Errorf("only %d results carry a target", targets)
			}
		})
	}
}

// withoutDibaoEnv is the environment without DIBAO_* settings, so the child
// uses only its flags.
func withoutDibaoEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DIBAO_") {
			env = append(env, kv)
		}
	}
	return env
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
