package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTokenize(t *testing.T) {
	tests := []struct {
		line string
		want []string
	}{
		{"", nil},
		{"   # only a comment", nil},
		{"add tunnel tid 1 # trailing", []string{"add", "tunnel", "tid", "1"}},
		{"\tdel  session\tname \"a b\"", []string{"del", "session", "name", "a b"}},
		{"show session name 'x#y'", []string{"show", "session", "name", "x#y"}},
		{"a#b c", []string{"a#b", "c"}},
	}
	for _, tt := range tests {
		got, err := tokenize(tt.line)
		if err != nil {
			t.Errorf("tokenize(%q): %v", tt.line, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("tokenize(%q) (-want +got):\n%s", tt.line, diff)
		}
	}
	if _, err := tokenize(`name "open`); err == nil || err.Error() != `unterminated " quote` {
		t.Errorf("unterminated quote: err = %v", err)
	}
}

func TestParseBatch(t *testing.T) {
	text := `# tunnels
l2tp add tunnel tid 1 ptid 1 local 192.0.2.1 remote 192.0.2.2 udp_sport 1 udp_dport 1

add session tid 1 sid 1 psid 1
add session tid 1 sid 2
monitor
show session "name" "s 1"
del tunnel tid 1
`
	lines, err := parseBatch(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		Num int
		Op  string
		Err string
	}
	var gots []got
	for _, l := range lines {
		g := got{Num: l.num}
		if l.cmd != nil {
			g.Op = l.cmd.op()
		}
		if l.err != nil {
			g.Err = l.err.Error()
		}
		gots = append(gots, g)
	}
	want := []got{
		{Num: 2, Op: "create tunnel 1"},
		{Num: 4, Op: "create session 1 in tunnel 1"},
		{Num: 5, Err: "add session: missing peer_session_id (1..4294967295)"},
		{Num: 6, Err: `"monitor" cannot be used in a batch`},
		{Num: 7, Err: `show session: name: "s 1" must not contain '/', ':', NUL or whitespace`},
		{Num: 8, Op: "delete tunnel 1"},
	}
	if diff := cmp.Diff(want, gots); diff != "" {
		t.Errorf("unexpected lines (-want +got):\n%s", diff)
	}
}

func TestRunBatch(t *testing.T) {
	file := strings.Join([]string{
		"add tunnel tid 1 ptid 1 local 192.0.2.1 remote 192.0.2.2 udp_sport 1 udp_dport 1",
		"add tunnel tid 2 ptid 1 local 192.0.2.1 remote 192.0.2.2 udp_sport 2 udp_dport 2",
		"add session tid 1 sid 1 psid 1",
		"# show in between",
		"show tunnel tid 1",
		"del session tid 1 sid 1",
		"del tunnel tid 2",
		"",
	}, "\n")
	tests := []struct {
		name       string
		file       string
		force      bool
		errs       map[string]error
		wantCalls  []string
		wantStderr string
		wantCode   int
	}{
		{"all good", file, false, nil, []string{
			"Batch [create tunnel 1, create tunnel 2, create session 1 in tunnel 1]",
			"Tunnels",
			"Batch [delete session 1 in tunnel 1, delete tunnel 2]",
		}, "", 0},
		{"failure stops after its batch", file, false,
			map[string]error{"create tunnel 2": errors.New("tunnel ID already in use")},
			[]string{"Batch [create tunnel 1, create tunnel 2, create session 1 in tunnel 1]"},
			"nl2tp: batch line 2: create tunnel 2: tunnel ID already in use\n" +
				"nl2tp: batch FILE: 1 of 6 commands failed, 3 not run (use -force to go on after a failure)\n", 1},
		{"force goes on", file, true,
			map[string]error{"create tunnel 2": errors.New("in use"), "delete tunnel 2": errors.New("tunnel not found")},
			[]string{
				"Batch [create tunnel 1, create tunnel 2, create session 1 in tunnel 1]",
				"Tunnels",
				"Batch [delete session 1 in tunnel 1, delete tunnel 2]",
			},
			"nl2tp: batch line 2: create tunnel 2: in use\n" +
				"nl2tp: batch line 7: delete tunnel 2: tunnel not found\n" +
				"nl2tp: batch FILE: 2 of 6 commands failed\n", 1},
		{"failing show", file, false,
			map[string]error{"list tunnels": errors.New("operation not permitted")},
			[]string{"Batch [create tunnel 1, create tunnel 2, create session 1 in tunnel 1]", "Tunnels"},
			"nl2tp: batch line 5: list tunnels: operation not permitted\n" +
				"nl2tp: batch FILE: 1 of 6 commands failed, 2 not run (use -force to go on after a failure)\n", 1},
		{"usage errors run nothing", "add tunnel tid 1\ndel tunnel tid 1\nfrob\n", false, nil, nil,
			"nl2tp: batch line 1: add tunnel: missing peer_tunnel_id (1..4294967295)\n" +
				"nl2tp: batch line 3: unknown command \"frob\"; try \"nl2tp help\"\n" +
				"nl2tp: batch FILE: 2 of 3 lines are wrong; nothing was done\n", 2},
		{"usage errors with force run the rest", "add tunnel tid 1\ndel tunnel tid 1\n", true, nil,
			[]string{"Batch [delete tunnel 1]"},
			"nl2tp: batch line 1: add tunnel: missing peer_tunnel_id (1..4294967295)\n" +
				"nl2tp: batch FILE: 1 of 2 lines are wrong\n", 2},
		{"whole batch fails", "del tunnel tid 1\n", false, map[string]error{"batch": errors.New("send: no buffer space")},
			[]string{"Batch [delete tunnel 1]"},
			"nl2tp: batch FILE: lines 1-1: send: no buffer space\n", 1},
		{"empty", "# nothing\n\n", false, nil, nil, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			for k, v := range tt.errs {
				f.errs[k] = v
			}
			path := writeFile(t, tt.file)
			line := "-batch " + path
			if tt.force {
				line += " -force"
			}
			_, stderr, code := runFake(t, f, line)
			stderr = strings.ReplaceAll(stderr, path, "FILE")
			if diff := cmp.Diff(tt.wantCalls, f.calls); diff != "" {
				t.Errorf("unexpected calls (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantStderr, stderr); diff != "" {
				t.Errorf("unexpected stderr (-want +got):\n%s", diff)
			}
			if code != tt.wantCode {
				t.Errorf("exit status %d, want %d", code, tt.wantCode)
			}
		})
	}
}

func TestRunBatchOutput(t *testing.T) {
	f := newFake()
	f.tunnels = []tunnel{tunIP6}
	path := writeFile(t, "show tunnel\nl2tp show tunnel tid 3\n")
	stdout, stderr, code := runFake(t, f, "-j -batch "+path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	one := `[{"tunnel_id":3,"encap":"IP","local":"2001:db8::1","peer":"2001:db8::2","peer_tunnel":4}]` + "\n"
	if diff := cmp.Diff(one+one, stdout); diff != "" {
		t.Errorf("unexpected output (-want +got):\n%s", diff)
	}
}

func TestRunBatchErrors(t *testing.T) {
	f := newFake()
	_, stderr, code := runFake(t, f, "-batch /nonexistent/file")
	if code != 2 || !strings.HasPrefix(stderr, "nl2tp: batch: open /nonexistent/file: ") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	_, stderr, code = runFake(t, f, "-batch x show tunnel")
	if code != 2 || stderr != "nl2tp: -batch takes no command, got \"show tunnel\"\n" {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func TestRunBatchStdin(t *testing.T) {
	f := newFake()
	f.stdin = "del tunnel tid 1\ndel tunnel tid 2\n"
	if _, stderr, code := runFake(t, f, "-batch -"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if diff := cmp.Diff([]string{"Batch [delete tunnel 1, delete tunnel 2]"}, f.calls); diff != "" {
		t.Errorf("unexpected calls (-want +got):\n%s", diff)
	}
}
