package bench

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"time"

	"dibao/internal/region"
	"dibao/internal/store"
)

// Env is what a `dibao bench` scenario runs on: a store that already holds
// the scale data (`dibao demo --households N`, or the county fixture
// Register writes), and how to reach it from a second process.
type Env struct {
	DB         *store.DB
	Households int           // households in the scale data
	Counties   []region.Code // counties holding recipients, in order; scenarios that work per county take them all or the first
	Progress   io.Writer     // progress lines (nil: quiet)

	// How to start `dibao serve` on the same store (the api scenario
	// measures the server's resident memory): Exe is the dibao binary
	// ("" when there is none, as in `go test`: then the server runs in
	// this process), Data its data directory (with the key file) and DSN
	// the store.
	Exe, Data, DSN string

	Concurrency int // transitions: concurrent workers (default 8)
	Connections int // api: concurrent HTTP connections (default 64)
	Requests    int // api: requests in the mix (default 20000)
	Candidates  int // exam-day: candidates K (default 5000)
	Answers     int // exam-day: autosaves per candidate (default 50)
	Seed        uint64
}

// Scenario is one named `dibao bench` workload.
type Scenario struct {
	Name string
	Doc  string // one line for the usage text
	Run  func(ctx context.Context, env Env) ([]Result, error)
}

// Scenarios are the workloads of issue 8, in the order `bench all` runs
// them.
var Scenarios = []Scenario{
	{Name: "transitions", Doc: "workflow transitions through the service layer at concurrency 8", Run: Transitions},
	{Name: "api", Doc: "HTTP mix over loopback at 64 connections", Run: API},
	{Name: "roster", Doc: "one month's roster per county, its Excel and bank CSV", Run: Rosters},
	{Name: "exam-day", Doc: "K candidates start one exam, autosave, submit", Run: ExamDay},
	{Name: "standard-change", Doc: "a new standard applied to every recipient", Run: StandardChanges},
}

// Report is what a run writes as JSON.
type Report struct {
	Dialect    string    `json:"dialect"`
	Households int       `json:"households"`
	At         time.Time `json:"at"`
	CPUs       int       `json:"cpus"`
	Results    []Result  `json:"results"`
}

// WriteJSON writes the report to path.
func WriteJSON(path string, r Report) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
