package backup

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestPGEnvKeepsThePasswordOffTheCommandLine(t *testing.T) {
	env, err := pgEnv("postgres://dibao:s3cret@db.example:5433/dibao?sslmode=verify-full&search_path=t_1")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"PGHOST=db.example", "PGPORT=5433", "PGDATABASE=dibao", "PGUSER=dibao", "PGPASSWORD=s3cret", "PGSSLMODE=verify-full"} {
		if !slices.Contains(env, want) {
			t.Errorf("%s missing", want)
		}
	}
	for _, e := range env {
		if strings.Contains(e, "search_path") {
			t.Errorf("pgx-only parameter passed to libpq: %s", e)
		}
	}
}

func TestFirstSchema(t *testing.T) {
	for sp, want := range map[string]string{`"$user", public`: "public", "t_abc": "t_abc", ` "T x" , public`: "T x", "": ""} {
		if got := firstSchema(sp); got != want {
			t.Errorf("firstSchema(%q) = %q, want %q", sp, got, want)
		}
	}
}

func TestReadManifestRefusesWhatIsNotABackup(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"empty": "", "text": "hello, not a tar file at all"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadManifest(p, ""); err == nil || !strings.Contains(err.Error(), "备份文件损坏") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
