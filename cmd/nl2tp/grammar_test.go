package main

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func ptr[T any](v T) *T { return &v }

func TestParseCommand(t *testing.T) {
	v4a, v4b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	v6a, v6b := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	tests := []struct {
		name string
		args string
		want command
	}{
		{"add tunnel defaults", "add tunnel tunnel_id 1 peer_tunnel_id 2 local 192.0.2.1 remote 192.0.2.2 udp_sport 5000 udp_dport 6000",
			&addTunnelCmd{TunnelID: 1, PeerTunnelID: 2, Version: 3, Encap: encapUDP, Local: v4a, Remote: v4b,
				UDPSport: 5000, UDPDport: 6000, UDP6CsumTx: true, UDP6CsumRx: true}},
		{"add tunnel aliases and object last", "a tid 0x10 ptid 010 remote 192.0.2.2 local 192.0.2.1 encap ip tunnel",
			&addTunnelCmd{TunnelID: 16, PeerTunnelID: 8, Version: 3, Encap: encapIP, Local: v4a, Remote: v4b,
				UDP6CsumTx: true, UDP6CsumRx: true}},
		{"add tunnel ipv6 checksums", "add tunnel tunnel_id 1 peer_tunnel_id 1 local 2001:db8::1 remote 2001:db8::2 encap udp udp_sport 1 udp_dport 2 udp_csum on udp6_csum_tx off udp6_csum_rx off",
			&addTunnelCmd{TunnelID: 1, PeerTunnelID: 1, Version: 3, Encap: encapUDP, Local: v6a, Remote: v6b,
				UDPSport: 1, UDPDport: 2, UDPCsum: true}},
		{"add tunnel v2", "add tunnel version 2 tunnel_id 65535 peer_tunnel_id 7 local 192.0.2.1 remote 192.0.2.2 udp_sport 1701 udp_dport 1701",
			&addTunnelCmd{TunnelID: 65535, PeerTunnelID: 7, Version: 2, Local: v4a, Remote: v4b,
				UDPSport: 1701, UDPDport: 1701, UDP6CsumTx: true, UDP6CsumRx: true}},
		{"add session defaults", "add session tunnel_id 1 session_id 2 peer_session_id 3",
			&addSessionCmd{TunnelID: 1, SessionID: 2, PeerSessionID: 3, Pseudowire: pwEth, L2Spec: l2specDefault}},
		{"add session everything", "add session name l2tp0 tid 1 ptid 9 sid 2 psid 3 cookie 0102030405060708 peer_cookie A0B0C0D0 seq both l2spec_type NONE offset 4 peer_offset 8 lns_mode on reorder_timeout 250",
			&addSessionCmd{Name: "l2tp0", TunnelID: 1, PeerTunnelID: 9, SessionID: 2, PeerSessionID: 3, Pseudowire: pwEth,
				Cookie: []byte{1, 2, 3, 4, 5, 6, 7, 8}, PeerCookie: []byte{0xa0, 0xb0, 0xc0, 0xd0},
				SendSeq: true, RecvSeq: true, L2Spec: l2specNone, LNSMode: true, ReorderTimeout: 250 * time.Millisecond}},
		{"seq values add up as in ip", "add session tunnel_id 1 session_id 2 peer_session_id 3 seq send seq recv",
			&addSessionCmd{TunnelID: 1, SessionID: 2, PeerSessionID: 3, Pseudowire: pwEth, L2Spec: l2specDefault, SendSeq: true, RecvSeq: true}},
		{"seq none clears", "add session tunnel_id 1 session_id 2 peer_session_id 3 seq both seq none",
			&addSessionCmd{TunnelID: 1, SessionID: 2, PeerSessionID: 3, Pseudowire: pwEth, L2Spec: l2specDefault}},
		{"ppp session has no sublayer by default", "add session tunnel_id 1 session_id 2 peer_session_id 3 pw ppp",
			&addSessionCmd{TunnelID: 1, SessionID: 2, PeerSessionID: 3, Pseudowire: pwPPP, L2Spec: l2specNone}},
		{"ppp session with explicit sublayer", "add session tunnel_id 1 session_id 2 peer_session_id 3 pw_type ppp l2spec_type default",
			&addSessionCmd{TunnelID: 1, SessionID: 2, PeerSessionID: 3, Pseudowire: pwPPP, L2Spec: l2specDefault}},
		{"del tunnel", "del tunnel tunnel_id 999", &delTunnelCmd{TunnelID: 999}},
		{"delete prefix", "dele tunnel tid 5", &delTunnelCmd{TunnelID: 5}},
		{"del session by ids", "d session tunnel_id 1 session_id 2", &delSessionCmd{TunnelID: 1, SessionID: 2}},
		{"del session by name", "del session name l2tpeth0", &delSessionCmd{Name: "l2tpeth0"}},
		{"show tunnel", "show tunnel", &showCmd{}},
		{"list tunnel filter", "list tunnel tunnel_id 4", &showCmd{TunnelID: 4}},
		{"lst session filters", "lst session tid 1 sid 2 name x", &showCmd{Sessions: true, TunnelID: 1, SessionID: 2, Name: "x"}},
		{"show prefix", "s session", &showCmd{Sessions: true}},
		{"modify seq", "modify session tunnel_id 1 session_id 2 seq send",
			&modifySessionCmd{TunnelID: 1, SessionID: 2, SendSeq: ptr(true), RecvSeq: ptr(false)}},
		{"modify all", "mod session name l2tp0 seq both lns_mode off reorder_timeout 0",
			&modifySessionCmd{Name: "l2tp0", SendSeq: ptr(true), RecvSeq: ptr(true), LNSMode: ptr(false), ReorderTimeout: ptr(time.Duration(0))}},
		{"monitor", "monitor", &monitorCmd{}},
		{"help", "help", &helpCmd{}},
		{"help prefix", "he", &helpCmd{}},
		{"verb help", "add help", &helpCmd{Topic: "add"}},
		{"object help", "add tunnel -h", &helpCmd{Topic: "add"}},
		{"help after keywords", "del session tunnel_id 1 --help", &helpCmd{Topic: "del"}},
		{"monitor help", "monitor help", &helpCmd{Topic: "monitor"}},
		{"name can be a keyword", "del session name tunnel", &delSessionCmd{Name: "tunnel"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseCommand(strings.Fields(tt.args))
			if err != nil {
				t.Fatalf("parseCommand(%q): %v", tt.args, err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("unexpected command (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseCommandErrors(t *testing.T) {
	tunnel := "add tunnel tunnel_id 1 peer_tunnel_id 2 local 192.0.2.1 remote 192.0.2.2 udp_sport 1 udp_dport 2 "
	session := "add session tunnel_id 1 session_id 2 peer_session_id 3 "
	tests := []struct {
		name, args, want string
	}{
		{"no command", "", `missing command; try "nl2tp help"`},
		{"unknown command", "frob", `unknown command "frob"; try "nl2tp help"`},
		{"ambiguous m", "m session", `unknown command "m"; try "nl2tp help"`},
		{"no object", "add tunnel_id 1", `add: missing "tunnel" or "session"`},
		{"both objects", "add tunnel session", `add: give either "tunnel" or "session", not both`},
		{"unknown keyword", tunnel + "frobnicate 1", `add tunnel: unknown keyword "frobnicate"`},
		{"unknown keyword before object", "add frobnicate 1 tunnel", `add: unknown keyword "frobnicate"`},
		{"missing value", "del tunnel tunnel_id", `del: "tunnel_id" needs a value`},
		{"not applicable", "del tunnel tunnel_id 1 udp_sport 5", `del tunnel: keyword "udp_sport" does not apply to "del tunnel"`},
		{"show tunnel by session", "show tunnel session_id 5", `show tunnel: keyword "session_id" does not apply to "show tunnel"`},
		{"missing tunnel_id", "add tunnel peer_tunnel_id 2 local 192.0.2.1 remote 192.0.2.2 udp_sport 1 udp_dport 2", `add tunnel: missing tunnel_id (1..4294967295)`},
		{"zero tunnel_id", "del tunnel tunnel_id 0", `del tunnel: missing tunnel_id (1..4294967295)`},
		{"bad id", "del tunnel tunnel_id x1", `del tunnel: tunnel_id: invalid value "x1": want an unsigned 32-bit integer`},
		{"negative id", "del tunnel tunnel_id -1", `del tunnel: tunnel_id: invalid value "-1": want an unsigned 32-bit integer`},
		{"id too big", "del tunnel tunnel_id 4294967296", `del tunnel: tunnel_id: invalid value "4294967296": want an unsigned 32-bit integer`},
		{"port too big", tunnel + "udp_sport 65536", `add tunnel: udp_sport: invalid value "65536": want an unsigned 16-bit integer`},
		{"missing local", "add tunnel tunnel_id 1 peer_tunnel_id 2 remote 192.0.2.2 udp_sport 1 udp_dport 2", `add tunnel: missing local (an IPv4 or IPv6 address)`},
		{"bad address", tunnel + "local any", `add tunnel: local: invalid address "any": want an IPv4 or IPv6 address`},
		{"mixed families", tunnel + "remote 2001:db8::1", `add tunnel: local 192.0.2.1 and remote 2001:db8::1 must be of the same address family`},
		{"missing udp_sport", "add tunnel tunnel_id 1 peer_tunnel_id 2 local 192.0.2.1 remote 192.0.2.2 udp_dport 2", `add tunnel: missing udp_sport (1..65535)`},
		{"ports with ip encap", "add tunnel tunnel_id 1 peer_tunnel_id 2 local 192.0.2.1 remote 192.0.2.2 encap ip udp_dport 2", `add tunnel: udp_dport applies only to encap udp`},
		{"bad encap", tunnel + "encap gre", `add tunnel: encap: invalid value "gre": want ip or udp`},
		{"bad on off", tunnel + "udp_csum yes", `add tunnel: udp_csum: invalid value "yes": want on or off`},
		{"v2 id range", "add tunnel version 2 tunnel_id 65536 peer_tunnel_id 2 local 192.0.2.1 remote 192.0.2.2 udp_sport 1 udp_dport 2", `add tunnel: L2TPv2 (version 2) tunnel IDs must be 1..65535`},
		{"v2 ip encap", "add tunnel version 2 tunnel_id 1 peer_tunnel_id 2 local 192.0.2.1 remote 192.0.2.2 encap ip", `add tunnel: L2TPv2 (version 2) needs encap udp`},
		{"bad version", tunnel + "version 4", `add tunnel: version: invalid value "4": want 2 or 3`},
		{"missing session_id", "add session tunnel_id 1 peer_session_id 3", `add session: missing session_id (1..4294967295)`},
		{"missing peer_session_id", "add session tunnel_id 1 session_id 3", `add session: missing peer_session_id (1..4294967295)`},
		{"short cookie", session + "cookie 0102", `add session: cookie: invalid value "0102": want 8 or 16 hex digits (4 or 8 bytes)`},
		{"odd cookie", session + "peer_cookie 0102030405", `add session: peer_cookie: invalid value "0102030405": want 8 or 16 hex digits (4 or 8 bytes)`},
		{"non-hex cookie", session + "cookie 0102030g", `add session: cookie: invalid value "0102030g": not a hex string`},
		{"bad seq", session + "seq sometimes", `add session: seq: invalid value "sometimes": want none, send, recv or both`},
		{"bad l2spec", session + "l2spec_type udp", `add session: l2spec_type: invalid value "udp": want none or default`},
		{"bad pw", session + "pw vlan", `add session: pw: invalid value "vlan": want eth or ppp`},
		{"long name", session + "name abcdefghijklmnop", `add session: name: "abcdefghijklmnop" is longer than 15 bytes`},
		{"slash in name", session + "name a/b", `add session: name: "a/b" must not contain '/', ':', NUL or whitespace`},
		{"dot name", session + "name ..", `add session: name: ".." is not a valid interface name`},
		{"del session needs ids", "del session tunnel_id 1", `del session: missing session_id (1..4294967295)`},
		{"del session name and ids", "del session name x tunnel_id 1", `del session: give either name or tunnel_id and session_id, not both`},
		{"modify nothing", "modify session tunnel_id 1 session_id 2", `modify session: nothing to change: give seq, lns_mode or reorder_timeout`},
		{"modify tunnel", "modify tunnel tunnel_id 1", `modify: only sessions can be modified (the kernel changes nothing in a tunnel)`},
		{"modify ip keyword", "modify session name x cookie 01020304", `modify session: keyword "cookie" does not apply to "modify session"`},
		{"monitor args", "monitor tunnel", `monitor: unknown argument "tunnel"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseCommand(strings.Fields(tt.args))
			if err == nil {
				t.Fatalf("parseCommand(%q) = %#v, want an error", tt.args, c)
			}
			var ue *usageError
			if !errors.As(err, &ue) {
				t.Errorf("error %v is a %T, want a *usageError", err, err)
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("unexpected error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIgnoredKeywords(t *testing.T) {
	got := ignoredKeywords(strings.Fields("session name offset offset 4 tid 1 peer_offset 2"))
	if diff := cmp.Diff([]string{"offset", "peer_offset"}, got); diff != "" {
		t.Errorf("unexpected keywords (-want +got):\n%s", diff)
	}
}

// FuzzParseCommand checks that no command line panics and that a parsed
// command is either a command or a usage error, never both or neither.
func FuzzParseCommand(f *testing.F) {
	f.Add("add tunnel tunnel_id 1 peer_tunnel_id 2 local 192.0.2.1 remote 192.0.2.2 udp_sport 1 udp_dport 2")
	f.Add("add session name x tid 1 sid 2 psid 3 cookie 0102030405060708 seq both")
	f.Add("modify session name x seq send lns_mode on reorder_timeout 5")
	f.Add("show session tid 1 name y")
	f.Fuzz(func(t *testing.T, line string) {
		c, err := parseCommand(strings.Fields(line))
		if (c == nil) == (err == nil) {
			t.Fatalf("parseCommand(%q) = %v, %v", line, c, err)
		}
		var ue *usageError
		if err != nil && !errors.As(err, &ue) {
			t.Fatalf("parseCommand(%q): error %v is not a usage error", line, err)
		}
	})
}
