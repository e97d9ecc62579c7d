package backup

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
)

// pgEnv turns a postgres:// URL into libpq environment variables, so the
// password never shows on a command line (ps) and pgx-only parameters such
// as search_path do not trip the client tools.
func pgEnv(dsn string) ([]string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, fmt.Errorf("数据库 URL 无法解析: %w", err)
	}
	env := []string{"PGAPPNAME=dibao-backup", "PGCONNECT_TIMEOUT=10"}
	if h := u.Hostname(); h != "" {
		env = append(env, "PGHOST="+h)
	}
	if p := u.Port(); p != "" {
		env = append(env, "PGPORT="+p)
	}
	if db := strings.TrimPrefix(u.Path, "/"); db != "" {
		env = append(env, "PGDATABASE="+db)
	}
	if u.User != nil {
		env = append(env, "PGUSER="+u.User.Username())
		if pw, ok := u.User.Password(); ok {
			env = append(env, "PGPASSWORD="+pw)
		}
	}
	q := u.Query()
	for k, v := range map[string]string{"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY"} {
		if s := q.Get(k); s != "" {
			env = append(env, v+"="+s)
		}
	}
	// Inherit PATH and the like, but no PG* variable that would override the URL.
	var base []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "PG") {
			base = append(base, e)
		}
	}
	return append(base, env...), nil
}

func tool(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("找不到 %s：请安装与 PostgreSQL 服务器同一主版本的客户端（Debian: apt-get install postgresql-client）", name)
	}
	return p, nil
}

func runTool(ctx context.Context, dsn, name string, args ...string) error {
	bin, err := tool(name)
	if err != nil {
		return err
	}
	env, err := pgEnv(dsn)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s 失败: %v: %s", name, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// pgDump writes a plain-SQL dump of schema in the exported snapshot.
// Plain SQL, uncompressed: the file can be read, diffed and scanned for
// clear personal data (there is none: sealed columns hold ciphertext).
func pgDump(ctx context.Context, dsn, schema, snapshot, out string) error {
	return runTool(ctx, dsn, "pg_dump", "--format=plain", "--no-owner", "--no-privileges",
		"--schema="+schema, "--snapshot="+snapshot, "--file="+out)
}

// psql runs a restore script in one transaction, stopping at the first error.
func psql(ctx context.Context, dsn, script string) error {
	return runTool(ctx, dsn, "psql", "--quiet", "--no-psqlrc", "--set=ON_ERROR_STOP=1", "--single-transaction",
		"--file="+script, "--output=/dev/null")
}
