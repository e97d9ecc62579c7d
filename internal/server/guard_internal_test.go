package server

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientAddr(t *testing.T) {
	proxies, err := ParsePrefixes("10.0.0.5, 192.168.0.0/16,::1")
	if err != nil || len(proxies) != 3 {
		t.Fatal(proxies, err)
	}
	if _, err := ParsePrefixes("10.0.0.5,nonsense"); err == nil {
		t.Fatal("nonsense accepted")
	}
	for _, c := range []struct {
		remote string
		xff    []string
		want   string
	}{
		{"203.0.113.7:5000", nil, "203.0.113.7"},
		// Not a trusted proxy: its header is the client's own word.
		{"203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7"},
		{"10.0.0.5:443", []string{"198.51.100.1"}, "198.51.100.1"},
		// A client cannot hide behind a forged first hop.
		{"10.0.0.5:443", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1"},
		// Two trusted proxies in a row, in two header lines.
		{"10.0.0.5:443", []string{"1.2.3.4, 198.51.100.1", "192.168.3.3"}, "198.51.100.1"},
		{"[::1]:443", []string{"2001:db8::9"}, "2001:db8::9"},
		{"[::ffff:10.0.0.5]:443", []string{"198.51.100.1"}, "198.51.100.1"},
		// A malformed hop stops the walk at the last address known.
		{"10.0.0.5:443", []string{"198.51.100.1, garbage"}, "10.0.0.5"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := clientAddr(r, proxies); got.String() != c.want {
			t.Errorf("%s %v: %s, want %s", c.remote, c.xff, got, c.want)
		}
	}
	if k := addressKey(netip.MustParseAddr("2001:db8:1:2:3:4:5:6")); k != "2001:db8:1:2::/64" {
		t.Errorf("IPv6 key %s", k)
	}
	if k := addressKey(netip.MustParseAddr("198.51.100.1")); k != "198.51.100.1" {
		t.Errorf("IPv4 key %s", k)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "203.0.113.7:5000"
	r.Header.Set("X-Forwarded-Proto", "https")
	if viaTLS(r, proxies) {
		t.Error("an untrusted peer's X-Forwarded-Proto believed")
	}
	r.RemoteAddr = "10.0.0.5:443"
	if !viaTLS(r, proxies) || viaTLS(r, nil) {
		t.Error("a trusted proxy's X-Forwarded-Proto")
	}
}
