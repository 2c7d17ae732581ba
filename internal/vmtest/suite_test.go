package vmtest

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSuiteParser(t *testing.T) {
	console := strings.Join([]string{
		"[    0.000000] Linux version 6.12.117+deb12-cloud-amd64",
		"--- PASS: NotInATest (0.00s)", // before any BEGIN: not counted
		"",
		"NL2TP-VMTEST-UNAME 6.12.117+deb12-cloud-amd64",
		"NL2TP-VMTEST-BEGIN internal/kerneltest",
		"=== RUN   TestA",
		"--- PASS: TestA (0.00s)",
		"=== RUN   TestB",
		"=== RUN   TestB/x",
		"[    3.1] l2tp_core: L2TP core driver, V2.0",
		"    --- FAIL: TestB/x (0.01s)",
		"    --- SKIP: TestB/y (0.00s)",
		"        --- PASS: TestB/y/z (0.00s)",
		"--- FAIL: TestB (0.01s)",
		"FAIL",
		"NL2TP-VMTEST-EXIT internal/kerneltest 1",
		"NL2TP-VMTEST-BEGIN l2tp",
		"--- PASS: TestC (0.00s)",
		"NL2TP-VMTEST-EXIT l2tp 0",
		"NL2TP-VMTEST-BEGIN cmd/nl2tp",
		"NL2TP-VMTEST-ERROR cmd/nl2tp: fork/exec: no such file",
		"NL2TP-VMTEST-EXIT cmd/nl2tp 255",
		"NL2TP-VMTEST-DONE",
	}, "\n")
	var out strings.Builder
	p := newSuiteParser("6.12", &out)
	// Feed in uneven pieces: lines may arrive split.
	for len(console) > 0 {
		n := min(7, len(console))
		p.Write([]byte(console[:n]))
		console = console[n:]
	}
	p.flush()
	s := p.summary()
	want := Summary{
		Line:     "6.12",
		Release:  "6.12.117+deb12-cloud-amd64",
		Passed:   3,
		Failed:   2,
		Skipped:  1,
		Exits:    map[string]int{"internal/kerneltest": 1, "l2tp": 0, "cmd/nl2tp": 255},
		Problems: []string{"/init: cmd/nl2tp: fork/exec: no such file"},
	}
	if diff := cmp.Diff(want, *s); diff != "" {
		t.Errorf("unexpected summary (-want +got):\n%s", diff)
	}
	if !p.done {
		t.Error("DONE marker not seen")
	}
	if got := s.String(); got != "vm-6.12: 3 passed, 2 failed, 1 skipped" {
		t.Errorf("summary line %q", got)
	}
	if !strings.HasPrefix(out.String(), "[6.12] [    0.000000] Linux version") || !strings.HasSuffix(out.String(), "[6.12] NL2TP-VMTEST-DONE\n") {
		t.Errorf("console not passed on with prefixes:\n%s", out.String())
	}
}

func TestParseAptOutput(t *testing.T) {
	deps := []byte("linux-image-6.12-cloud-amd64\n  Depends: linux-image-6.12.117+deb12-cloud-amd64\n")
	if got, err := parseDepends(deps); err != nil || got != "linux-image-6.12.117+deb12-cloud-amd64" {
		t.Errorf("parseDepends = %q, %v", got, err)
	}
	if _, err := parseDepends([]byte("linux-image-cloud-amd64\n  Recommends: foo\n")); err == nil {
		t.Error("parseDepends found a package in output without one")
	}
	policy := []byte("linux-image-6.1.0-57-cloud-amd64:\n  Installed: (none)\n  Candidate: 6.1.192-3\n  Version table:\n")
	if got, err := parseCandidate(policy); err != nil || got != "6.1.192-3" {
		t.Errorf("parseCandidate = %q, %v", got, err)
	}
	if _, err := parseCandidate([]byte("x:\n  Installed: (none)\n  Candidate: (none)\n")); err == nil {
		t.Error("parseCandidate accepted (none)")
	}
}

func TestLineNames(t *testing.T) {
	if diff := cmp.Diff([]string{"6.1", "6.12"}, LineNames()); diff != "" {
		t.Errorf("unexpected lines (-want +got):\n%s", diff)
	}
	for _, tt := range []struct {
		a, b string
		less bool
	}{{"6.1", "6.12", true}, {"6.12", "6.1", false}, {"6.9", "6.12", true}, {"6", "6.1", true}, {"6.1", "6.1", false}} {
		if got := versionLess(tt.a, tt.b); got != tt.less {
			t.Errorf("versionLess(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
}

func TestModName(t *testing.T) {
	for in, want := range map[string]string{
		"kernel/net/l2tp/l2tp_core.ko":    "l2tp_core",
		"kernel/net/l2tp/l2tp_core.ko.xz": "l2tp_core",
		"a/b/ip6-udp-tunnel.ko.zst":       "ip6_udp_tunnel",
		"modules.builtin":                 "",
		"kernel/net/ipv6/ipv6.ko.gz":      "ipv6",
	} {
		if got := modName(in); got != want {
			t.Errorf("modName(%q) = %q, want %q", in, got, want)
		}
	}
}
