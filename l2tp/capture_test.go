package l2tp

import (
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nl2tp/nl2tp/netlinkraw"
)

// Reply payloads (generic netlink header and attributes) captured from
// Debian's 6.1 and 6.12 cloud kernels on x86-64, which sent the same bytes,
// in answer to TUNNEL_GET and SESSION_GET doit requests. The objects were
// made with this package in a fresh network namespace:
//
//	Tunnel{ID: 5, PeerID: 6, Version: 3, Local: 127.0.0.1, Remote: 127.0.0.1, LocalPort: 5000, RemotePort: 5001, UDPChecksum: true}
//	Tunnel{ID: 9, PeerID: 10, Version: 3, Local: ::1, Remote: ::1, LocalPort: 5002, RemotePort: 5001, UDPZeroChecksum6TX: true, UDPZeroChecksum6RX: true}
//	Session{TunnelID: 5, ID: 7, PeerID: 8, Pseudowire: PseudowireEth, Cookie: 01020304, PeerCookie: 05060708090a0b0c,
//		L2Spec: L2SpecDefault, InterfaceName: "l2tpeth0", RecvSeq: true, ReorderTimeout: time.Second}

// captureStats is the STATS attribute of a new object: ten zero counters,
// in the kernel's order (RX_COOKIE_DISCARDS, type 10, after
// RX_SEQ_DISCARDS), and without NLA_F_NESTED.
const captureStats = "7c001e00" + // STATS, len 124, type 30 (no NLA_F_NESTED)
	"0c000100 00000000 00000000" + // TX_PACKETS
	"0c000200 00000000 00000000" + // TX_BYTES
	"0c000300 00000000 00000000" + // TX_ERRORS
	"0c000400 00000000 00000000" + // RX_PACKETS
	"0c000500 00000000 00000000" + // RX_BYTES
	"0c000600 00000000 00000000" + // RX_SEQ_DISCARDS
	"0c000a00 00000000 00000000" + // RX_COOKIE_DISCARDS
	"0c000700 00000000 00000000" + // RX_OOS_PACKETS
	"0c000800 00000000 00000000" + // RX_ERRORS
	"0c000b00 00000000 00000000" // RX_INVALID

const captureTunnel4 = "04010000" + // genl header: TUNNEL_GET, version 1
	"05000700 03000000" + // PROTO_VERSION 3
	"08000900 05000000" + // CONN_ID 5
	"08000a00 06000000" + // PEER_CONN_ID 6
	"08001100 00000000" + // DEBUG 0
	"06000200 00000000" + // ENCAP_TYPE UDP
	captureStats +
	"05000d00 01000000" + // UDP_CSUM 1
	"06001a00 88130000" + // UDP_SPORT 5000, host order
	"06001b00 89130000" + // UDP_DPORT 5001
	"08001800 7f000001" + // IP_SADDR 127.0.0.1, network order
	"08001900 7f000001" //   IP_DADDR 127.0.0.1

const captureTunnel6 = "04010000" + // genl header: TUNNEL_GET, version 1
	"05000700 03000000" + // PROTO_VERSION 3
	"08000900 09000000" + // CONN_ID 9
	"08000a00 0a000000" + // PEER_CONN_ID 10
	"08001100 00000000" + // DEBUG 0
	"06000200 00000000" + // ENCAP_TYPE UDP
	captureStats +
	"04002100" + // UDP_ZERO_CSUM6_TX
	"04002200" + // UDP_ZERO_CSUM6_RX
	"06001a00 8a130000" + // UDP_SPORT 5002
	"06001b00 89130000" + // UDP_DPORT 5001
	"14001f00 00000000 00000000 00000000 00000001" + // IP6_SADDR ::1
	"14002000 00000000 00000000 00000000 00000001" //   IP6_DADDR ::1

const captureSession = "08010000" + // genl header: SESSION_GET, version 1
	"08000900 05000000" + // CONN_ID 5
	"08000b00 07000000" + // SESSION_ID 7
	"08000a00 06000000" + // PEER_CONN_ID 6
	"08000c00 08000000" + // PEER_SESSION_ID 8
	"08001100 00000000" + // DEBUG 0
	"06000100 05000000" + // PW_TYPE ETH
	"0d000800 6c327470 65746830 00000000" + // IFNAME "l2tpeth0"
	"08000f00 01020304" + // COOKIE
	"0c001000 05060708 090a0b0c" + // PEER_COOKIE
	"05001200 01000000" + // RECV_SEQ 1
	"05001300 00000000" + // SEND_SEQ 0
	"05001400 00000000" + // LNS_MODE 0
	"0c001600 e8030000 00000000" + // RECV_TIMEOUT 1000 ms
	captureStats // (no L2SPEC_TYPE: the kernel never reports it)

func decodeHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeCaptures(t *testing.T) {
	if !littleEndian() {
		t.Skip("the captures are of a little-endian kernel")
	}
	zero := Stats{Present: StatAll}
	lo, lo6 := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")
	tests := []struct {
		name    string
		capture string
		want    any
	}{
		{"IPv4 tunnel", captureTunnel4, Tunnel{ID: 5, PeerID: 6, Version: 3, Local: lo, Remote: lo, LocalPort: 5000, RemotePort: 5001, UDPChecksum: true, Stats: zero}},
		{"IPv6 tunnel", captureTunnel6, Tunnel{ID: 9, PeerID: 10, Version: 3, Local: lo6, Remote: lo6, LocalPort: 5002, RemotePort: 5001,
			UDPZeroChecksum6TX: true, UDPZeroChecksum6RX: true, Stats: zero}},
		{"session", captureSession, Session{TunnelID: 5, ID: 7, PeerID: 8, PeerTunnelID: 6, Pseudowire: PseudowireEth,
			Cookie: []byte{1, 2, 3, 4}, PeerCookie: []byte{5, 6, 7, 8, 9, 10, 11, 12}, InterfaceName: "l2tpeth0",
			RecvSeq: true, ReorderTimeout: time.Second, Stats: zero}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gh, attrs, err := netlinkraw.ParseGenlHeader(decodeHex(t, tt.capture))
			if err != nil {
				t.Fatal(err)
			}
			var got any
			switch command(gh.Command) {
			case cmdTunnelGet:
				var tn Tunnel
				err = decodeTunnel(attrs, &tn)
				got = tn
			case cmdSessionGet:
				var s Session
				err = decodeSession(attrs, &s)
				got = s
			default:
				t.Fatalf("command %v", command(gh.Command))
			}
			if err != nil {
				t.Fatalf("decoding: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpAddr); diff != "" {
				t.Errorf("unexpected value (-want +got):\n%s", diff)
			}
		})
	}
}
