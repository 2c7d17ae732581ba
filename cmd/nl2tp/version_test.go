package main

import (
	"runtime/debug"
	"strings"
	"testing"
)

// TestVersionMatchesReadBuildInfo checks that version reads what
// debug.ReadBuildInfo reports for this binary.
func TestVersionMatchesReadBuildInfo(t *testing.T) {
	want := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		want = bi.Main.Version
	}
	if got := version(); got != want {
		t.Errorf("version() = %q, want %q (debug.ReadBuildInfo)", got, want)
	}
}

func TestMainVersion(t *testing.T) {
	sentinel := strings.Repeat("\xff", 16)
	wrap := func(s string) string { return sentinel + s + sentinel }
	for _, tt := range []struct {
		name, data, want string
	}{
		{"empty", "", ""},
		{"short", "0123456789abcdef", ""},
		{"with sum", wrap("path\tgithub.com/nl2tp/nl2tp/cmd/nl2tp\nmod\tgithub.com/nl2tp/nl2tp\tv1.2.3\th1:abc=\ndep\tgolang.org/x/sys\tv0.50.0\th1:def=\n"), "v1.2.3"},
		{"without sum", wrap("path\tx/cmd/y\nmod\tx\t(devel)\t\nbuild\t-compiler=gc\n"), "(devel)"},
		{"two columns", wrap("mod\tx\tv0.0.0-20261203112233-abcdef123456+dirty\n"), "v0.0.0-20261203112233-abcdef123456+dirty"},
		{"no mod line", wrap("path\tx\nbuild\tCGO_ENABLED=0\n"), ""},
		{"bad mod line", wrap("mod\tx\n"), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			data := tt.data
			if got := mainVersion(data); got != tt.want {
				t.Errorf("mainVersion(%q) = %q, want %q", data, got, tt.want)
			}
			if len(data) < 32 {
				return
			}
			// ReadBuildInfo fails on what ParseBuildInfo rejects,
			// and version then says "(devel)".
			bi, err := debug.ParseBuildInfo(data[16 : len(data)-16])
			if err != nil {
				if tt.want != "" {
					t.Errorf("debug.ParseBuildInfo: %v, but mainVersion gives %q", err, tt.want)
				}
				return
			}
			if bi.Main.Version != tt.want {
				t.Errorf("debug.ParseBuildInfo gives Main.Version %q, mainVersion %q", bi.Main.Version, tt.want)
			}
		})
	}
}
