package main

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The golden outputs below were derived by reading iproute2's ip/ipl2tp.c
// (print_tunnel, print_session, print_cookie, get_response; iproute2 6.x,
// unchanged in these functions since the JSON support of 4.17 except for
// the 2022 fix "l2tp: fix typo in AF_INET6 checksum JSON print") and
// lib/json_writer.c (jsonw_* with pretty printing: "[ {", "},{", "} ]",
// four-space indents, `"key": value`). Each case is state that
// "ip l2tp add" can create, so "ip l2tp show" would print the same bytes.

var (
	tunUDP4 = tunnel{ID: 1, PeerID: 2, Version: 3, Encap: encapUDP,
		Local: netip.MustParseAddr("192.0.2.1"), Remote: netip.MustParseAddr("192.0.2.2"),
		LocalPort: 5000, RemotePort: 6000}
	tunUDP4Csum = tunnel{ID: 7, PeerID: 8, Version: 3, Encap: encapUDP,
		Local: netip.MustParseAddr("10.0.0.1"), Remote: netip.MustParseAddr("10.0.0.2"),
		LocalPort: 1701, RemotePort: 1702, UDPCsum: true}
	tunIP6 = tunnel{ID: 3, PeerID: 4, Version: 3, Encap: encapIP,
		Local: netip.MustParseAddr("2001:db8::1"), Remote: netip.MustParseAddr("2001:db8::2")}
	tunUDP6 = tunnel{ID: 5, PeerID: 6, Version: 3, Encap: encapUDP,
		Local: netip.MustParseAddr("2001:db8::1"), Remote: netip.MustParseAddr("2001:db8::2"),
		LocalPort: 7000, RemotePort: 7001}
	tunUDP6ZeroTx = tunnel{ID: 9, PeerID: 9, Version: 3, Encap: encapUDP,
		Local: netip.MustParseAddr("2001:db8::1"), Remote: netip.MustParseAddr("2001:db8::2"),
		LocalPort: 1, RemotePort: 2, UDP6ZeroCsumTx: true}

	sessPlain = session{TunnelID: 1, SessionID: 10, PeerTunnelID: 2, PeerSessionID: 20,
		Pseudowire: pwEth, Name: "l2tpeth0"}
	sessFull = session{TunnelID: 1, SessionID: 11, PeerTunnelID: 2, PeerSessionID: 21,
		Pseudowire: pwEth, Name: "l2tpeth1",
		Cookie: []byte{1, 2, 3, 4, 5, 6, 7, 8}, PeerCookie: []byte{0xa, 0xb, 0xc, 0xd},
		SendSeq: true, RecvSeq: true, ReorderTimeout: 100 * time.Millisecond}
	sessRecvSeq = session{TunnelID: 3, SessionID: 12, PeerTunnelID: 4, PeerSessionID: 22,
		Pseudowire: pwEth, Name: "l2tpeth2", RecvSeq: true}
)

func TestWriteTunnels(t *testing.T) {
	tests := []struct {
		name string
		ts   []tunnel
		o    printOpts
		want string
	}{
		{"none plain", nil, printOpts{}, ""},
		{"none json", nil, printOpts{json: true}, "[]\n"},
		{"none pretty", nil, printOpts{json: true, pretty: true}, "[ ]\n"},
		{"udp4", []tunnel{tunUDP4}, printOpts{}, `Tunnel 1, encap UDP
  From 192.0.2.1 to 192.0.2.2
  Peer tunnel 2
  UDP source / dest ports: 5000/6000
  UDP checksum: disabled
`},
		{"udp4 csum and ip6", []tunnel{tunUDP4Csum, tunIP6}, printOpts{}, `Tunnel 7, encap UDP
  From 10.0.0.1 to 10.0.0.2
  Peer tunnel 8
  UDP source / dest ports: 1701/1702
  UDP checksum: enabled
Tunnel 3, encap IP
  From 2001:db8::1 to 2001:db8::2
  Peer tunnel 4
`},
		{"udp6", []tunnel{tunUDP6, tunUDP6ZeroTx}, printOpts{}, `Tunnel 5, encap UDP
  From 2001:db8::1 to 2001:db8::2
  Peer tunnel 6
  UDP source / dest ports: 7000/7001
  UDP checksum: enabled
Tunnel 9, encap UDP
  From 2001:db8::1 to 2001:db8::2
  Peer tunnel 9
  UDP source / dest ports: 1/2
  UDP checksum: rx
`},
		{"json", []tunnel{tunUDP4, tunIP6, tunUDP6ZeroTx}, printOpts{json: true},
			`[{"tunnel_id":1,"encap":"UDP","local":"192.0.2.1","peer":"192.0.2.2","peer_tunnel":2,"local_port":5000,"peer_port":6000,"checksum":false},` +
				`{"tunnel_id":3,"encap":"IP","local":"2001:db8::1","peer":"2001:db8::2","peer_tunnel":4},` +
				`{"tunnel_id":9,"encap":"UDP","local":"2001:db8::1","peer":"2001:db8::2","peer_tunnel":9,"local_port":1,"peer_port":2,"checksum_tx":false,"checksum_rx":true}]` + "\n"},
		{"pretty", []tunnel{tunUDP4, tunIP6}, printOpts{json: true, pretty: true}, `[ {
        "tunnel_id": 1,
        "encap": "UDP",
        "local": "192.0.2.1",
        "peer": "192.0.2.2",
        "peer_tunnel": 2,
        "local_port": 5000,
        "peer_port": 6000,
        "checksum": false
    },{
        "tunnel_id": 3,
        "encap": "IP",
        "local": "2001:db8::1",
        "peer": "2001:db8::2",
        "peer_tunnel": 4
    } ]
`},
		// Beyond ip: L2TPv2 and statistics.
		{"v2 with stats", []tunnel{{ID: 1, PeerID: 2, Version: 2, Encap: encapUDP,
			Local: netip.MustParseAddr("192.0.2.1"), Remote: netip.MustParseAddr("192.0.2.2"),
			LocalPort: 1701, RemotePort: 1701,
			Stats: stats{TxPackets: counter{3, true}, TxBytes: counter{300, true}, TxErrors: counter{0, true},
				RxPackets: counter{4, true}, RxBytes: counter{400, true}, RxSeqDiscards: counter{0, true},
				RxOOSPackets: counter{1, true}, RxErrors: counter{2, true}}}},
			printOpts{stats: true}, `Tunnel 1, encap UDP, L2TPv2
  From 192.0.2.1 to 192.0.2.2
  Peer tunnel 2
  UDP source / dest ports: 1701/1701
  UDP checksum: disabled
  RX: packets 4 bytes 400 seq_discards 0 oos_packets 1 errors 2
  TX: packets 3 bytes 300 errors 0
`},
		{"v2 with stats json", []tunnel{{ID: 1, PeerID: 2, Version: 2, Encap: encapUDP,
			Local: netip.MustParseAddr("192.0.2.1"), Remote: netip.MustParseAddr("192.0.2.2"),
			LocalPort: 1701, RemotePort: 1701,
			Stats: stats{TxPackets: counter{3, true}, RxInvalid: counter{9, true}}}},
			printOpts{json: true, pretty: true, stats: true}, `[ {
        "tunnel_id": 1,
        "encap": "UDP",
        "local": "192.0.2.1",
        "peer": "192.0.2.2",
        "peer_tunnel": 2,
        "local_port": 1701,
        "peer_port": 1701,
        "checksum": false,
        "version": 2,
        "stats": {
            "tx_packets": 3,
            "rx_invalid": 9
        }
    } ]
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := writeTunnels(&b, tt.ts, tt.o); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, b.String()); diff != "" {
				t.Errorf("unexpected output (-want +got):\n%s", diff)
			}
			if tt.o.json && !json.Valid([]byte(b.String())) {
				t.Errorf("output is not valid JSON: %s", b.String())
			}
		})
	}
}

func TestWriteSessions(t *testing.T) {
	tests := []struct {
		name string
		ss   []session
		o    printOpts
		want string
	}{
		{"plain", []session{sessPlain}, printOpts{}, `Session 10 in tunnel 1
  Peer session 20, tunnel 2
  interface name: l2tpeth0
  offset 0, peer offset 0

`},
		// ip puts cookies and the reorder timeout on one line.
		{"full", []session{sessFull}, printOpts{}, `Session 11 in tunnel 1
  Peer session 21, tunnel 2
  interface name: l2tpeth1
  offset 0, peer offset 0
  cookie 0102030405060708  peer cookie 0a0b0c0d  reorder timeout: 100
  sequence numbering: send recv
`},
		// Without cookies, the sequence line follows an empty one.
		{"recv seq", []session{sessRecvSeq}, printOpts{}, `Session 12 in tunnel 3
  Peer session 22, tunnel 4
  interface name: l2tpeth2
  offset 0, peer offset 0

  sequence numbering: recv
`},
		{"no interface", []session{{TunnelID: 1, SessionID: 2, PeerTunnelID: 3, PeerSessionID: 4, Pseudowire: pwEth,
			Cookie: []byte{0xde, 0xad, 0xbe, 0xef}}}, printOpts{}, `Session 2 in tunnel 1
  Peer session 4, tunnel 3
  offset 0, peer offset 0
  cookie deadbeef
`},
		{"json", []session{sessPlain, sessFull, sessRecvSeq}, printOpts{json: true},
			`[{"session_id":10,"tunnel_id":1,"peer_session_id":20,"peer_tunnel_id":2,"interface":"l2tpeth0"},` +
				`{"session_id":11,"tunnel_id":1,"peer_session_id":21,"peer_tunnel_id":2,"interface":"l2tpeth1","cookie":"0102030405060708","peer_cookie":"0a0b0c0d","reorder_timeout":100,"send_seq":null,"recv_seq":null},` +
				`{"session_id":12,"tunnel_id":3,"peer_session_id":22,"peer_tunnel_id":4,"interface":"l2tpeth2","recv_seq":null}]` + "\n"},
		{"pretty", []session{sessFull}, printOpts{json: true, pretty: true}, `[ {
        "session_id": 11,
        "tunnel_id": 1,
        "peer_session_id": 21,
        "peer_tunnel_id": 2,
        "interface": "l2tpeth1",
        "cookie": "0102030405060708",
        "peer_cookie": "0a0b0c0d",
        "reorder_timeout": 100,
        "send_seq": null,
        "recv_seq": null
    } ]
`},
		// Beyond ip: PPP, LNS mode, statistics (all ten counters).
		{"ppp lns stats", []session{{TunnelID: 1, SessionID: 2, PeerTunnelID: 3, PeerSessionID: 4, Pseudowire: pwPPP, LNSMode: true,
			Stats: allStats}}, printOpts{stats: true}, `Session 2 in tunnel 1
  Peer session 4, tunnel 3
  offset 0, peer offset 0

  pseudowire PPP
  LNS mode on
  RX: packets 4 bytes 5 seq_discards 6 cookie_discards 7 oos_packets 8 errors 9 invalid 10
  TX: packets 1 bytes 2 errors 3
`},
		{"ppp lns stats json", []session{{TunnelID: 1, SessionID: 2, PeerTunnelID: 3, PeerSessionID: 4, Pseudowire: pwPPP, LNSMode: true,
			Stats: allStats}}, printOpts{json: true, stats: true},
			`[{"session_id":2,"tunnel_id":1,"peer_session_id":4,"peer_tunnel_id":3,"pw_type":"ppp","lns_mode":true,` +
				`"stats":{"tx_packets":1,"tx_bytes":2,"tx_errors":3,"rx_packets":4,"rx_bytes":5,"rx_seq_discards":6,"rx_cookie_discards":7,"rx_oos_packets":8,"rx_errors":9,"rx_invalid":10}}]` + "\n"},
		{"escaped name", []session{{TunnelID: 1, SessionID: 2, PeerTunnelID: 3, PeerSessionID: 4, Pseudowire: pwEth, Name: "a\"b\\c\x01"}},
			printOpts{json: true}, `[{"session_id":2,"tunnel_id":1,"peer_session_id":4,"peer_tunnel_id":3,"interface":"a\"b\\c\u0001"}]` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := writeSessions(&b, tt.ss, tt.o); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, b.String()); diff != "" {
				t.Errorf("unexpected output (-want +got):\n%s", diff)
			}
			if tt.o.json && !json.Valid([]byte(b.String())) {
				t.Errorf("output is not valid JSON: %s", b.String())
			}
		})
	}
}

var allStats = stats{
	TxPackets: counter{1, true}, TxBytes: counter{2, true}, TxErrors: counter{3, true},
	RxPackets: counter{4, true}, RxBytes: counter{5, true}, RxSeqDiscards: counter{6, true},
	RxCookieDiscards: counter{7, true}, RxOOSPackets: counter{8, true}, RxErrors: counter{9, true},
	RxInvalid: counter{10, true},
}

func TestWriteEvent(t *testing.T) {
	tests := []struct {
		name string
		e    event
		o    printOpts
		want string
	}{
		{"tunnel plain", event{Kind: eventCreateTunnel, Tunnel: &tunIP6}, printOpts{}, `[create tunnel]
Tunnel 3, encap IP
  From 2001:db8::1 to 2001:db8::2
  Peer tunnel 4
`},
		{"session plain", event{Kind: eventModifySession, Session: &sessRecvSeq}, printOpts{}, `[modify session]
Session 12 in tunnel 3
  Peer session 22, tunnel 4
  interface name: l2tpeth2
  offset 0, peer offset 0

  sequence numbering: recv
`},
		{"lost plain", event{Lost: true}, printOpts{}, "[events lost: the receive buffer overflowed]\n"},
		{"tunnel json", event{Kind: eventDeleteTunnel, Tunnel: &tunIP6}, printOpts{json: true},
			`{"event":"delete_tunnel","tunnel":{"tunnel_id":3,"encap":"IP","local":"2001:db8::1","peer":"2001:db8::2","peer_tunnel":4}}` + "\n"},
		{"session json", event{Kind: eventCreateSession, Session: &sessPlain}, printOpts{json: true},
			`{"event":"create_session","session":{"session_id":10,"tunnel_id":1,"peer_session_id":20,"peer_tunnel_id":2,"interface":"l2tpeth0"}}` + "\n"},
		{"session json pretty", event{Kind: eventDeleteSession, Session: &sessPlain}, printOpts{json: true, pretty: true}, `{
    "event": "delete_session",
    "session": {
        "session_id": 10,
        "tunnel_id": 1,
        "peer_session_id": 20,
        "peer_tunnel_id": 2,
        "interface": "l2tpeth0"
    }
}
`},
		{"lost json", event{Lost: true}, printOpts{json: true}, `{"event":"lost"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := writeEvent(&b, tt.e, tt.o); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, b.String()); diff != "" {
				t.Errorf("unexpected output (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEventKindNames(t *testing.T) {
	seen := map[string]bool{}
	for k := eventCreateTunnel; k <= eventModifySession; k++ {
		s := k.String()
		if s == "unknown" || seen[s] {
			t.Errorf("eventKind(%d).String() = %q: missing or duplicate", k, s)
		}
		seen[s] = true
	}
	if got := eventKind(99).String(); got != "unknown" {
		t.Errorf("eventKind(99).String() = %q, want unknown", got)
	}
}
