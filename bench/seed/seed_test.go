package seed

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The inputs and wire files are those of nl2tp's l2tp/bench_test.go (see
// there how testdata/bench is made); the values are written out again
// here, so that a drift on either side fails a test.

const benchFamily = 0x1d

func benchTunnel() TunnelConfig {
	return TunnelConfig{
		ID: 4242, PeerID: 4343, Version: 3, Encap: 0,
		Local: netip.MustParseAddr("192.0.2.1"), Remote: netip.MustParseAddr("198.51.100.2"),
		LocalPort: 1701, RemotePort: 1702,
		UDPChecksum: true,
	}
}

func benchSession() Session {
	return Session{
		TunnelID: 4242, ID: 65537, PeerID: 131074,
		Pseudowire:     5, // ETH
		L2Spec:         1, // DEFAULT
		Cookie:         []byte{0xde, 0xad, 0xbe, 0xef},
		PeerCookie:     []byte{1, 2, 3, 4, 5, 6, 7, 8},
		InterfaceName:  "l2tpeth0",
		RecvSeq:        true,
		SendSeq:        true,
		ReorderTimeout: 250 * time.Millisecond,
	}
}

func littleEndian() bool { return binary.NativeEndian.Uint16([]byte{1, 0}) == 1 }

func readWire(tb testing.TB, name string) []byte {
	tb.Helper()
	if !littleEndian() {
		tb.Skip("testdata/bench holds little-endian messages")
	}
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "bench", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// zeroHeader clears the flags, sequence number and port ID of a request,
// which nl2tp's transport, like netlink.Conn, fills in when sending.
func zeroHeader(b []byte) []byte {
	b = bytes.Clone(b)
	clear(b[6:16])
	return b
}

// TestSameRequests checks that this side's requests are byte for byte the
// ones nl2tp's encoders produced (testdata/bench/*_create.bin), but for the
// header fields the transports fill in.
func TestSameRequests(t *testing.T) {
	tc := benchTunnel()
	sc := benchSession()
	tests := []struct {
		file   string
		encode func() ([]byte, error)
	}{
		{"tunnel_create.bin", func() ([]byte, error) { return EncodeTunnelCreate(benchFamily, &tc) }},
		{"session_create.bin", func() ([]byte, error) { return EncodeSessionCreate(benchFamily, &sc) }},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			want := readWire(t, tt.file)
			got, err := tt.encode()
			if err != nil {
				t.Fatal(err)
			}
			if flags := binary.NativeEndian.Uint16(got[6:]); flags != 0x5 {
				t.Errorf("flags %#x, want NLM_F_REQUEST|NLM_F_ACK", flags)
			}
			if got := zeroHeader(got); !bytes.Equal(want, got) {
				t.Errorf("request differs from nl2tp's:\nwant %x\ngot  %x", want, got)
			}
		})
	}
}

// TestSameReplies checks what this side decodes from the reply files,
// against the values nl2tp's test expects.
func TestSameReplies(t *testing.T) {
	got, err := DecodeSessionGet(readWire(t, "session_get.bin"))
	if err != nil {
		t.Fatal(err)
	}
	want := Session{
		TunnelID: 4242, ID: 65537, PeerTunnelID: 4343, PeerID: 131074,
		Pseudowire:    5,
		Cookie:        []byte{0xde, 0xad, 0xbe, 0xef},
		PeerCookie:    []byte{1, 2, 3, 4, 5, 6, 7, 8},
		InterfaceName: "l2tpeth0",
		RecvSeq:       true, SendSeq: true,
		ReorderTimeout: 250 * time.Millisecond,
		Stats: Stats{
			TxPackets: 1001, TxBytes: 1500123, TxErrors: 3,
			RxPackets: 2002, RxBytes: 2600456, RxSeqDiscards: 4,
			RxCookieDiscards: 5, RxOOSPackets: 6, RxErrors: 7, RxInvalid: 8,
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("unexpected session_get.bin (-want +got):\n%s", diff)
	}

	ss, err := DecodeDump(readWire(t, "dump1000.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 1000 {
		t.Fatalf("dump1000.bin holds %d sessions, want 1000", len(ss))
	}
	for i, s := range ss {
		u := uint32(i)
		c := uint64(i) * 10
		want := Session{
			TunnelID: 1000 + u/100, ID: 1 + u, PeerTunnelID: 2000 + u/100, PeerID: 100001 + u,
			Pseudowire:    5,
			Cookie:        binary.BigEndian.AppendUint32(nil, 0xc0de0000+u),
			PeerCookie:    binary.BigEndian.AppendUint64(nil, 0xfeed000000000000+uint64(u)),
			InterfaceName: fmt.Sprintf("l2tpeth%d", i),
			RecvSeq:       i%2 == 0, SendSeq: i%2 == 0,
			Stats: Stats{
				TxPackets: c, TxBytes: c + 1, TxErrors: c + 2, RxPackets: c + 3, RxBytes: c + 4,
				RxSeqDiscards: c + 5, RxCookieDiscards: c + 6, RxOOSPackets: c + 7, RxErrors: c + 8,
				RxInvalid: c + 9,
			},
		}
		if i%4 == 0 {
			want.ReorderTimeout = 100 * time.Millisecond
		}
		if diff := cmp.Diff(want, s); diff != "" {
			t.Fatalf("session %d of dump1000.bin (-want +got):\n%s", i, diff)
		}
	}
}

// BenchmarkVsSeed pairs with nl2tp's BenchmarkVsSeed in l2tp/bench_test.go.
func BenchmarkVsSeed(b *testing.B) {
	b.Run("EncodeTunnelCreate", func(b *testing.B) {
		c := benchTunnel()
		want := readWire(b, "tunnel_create.bin")
		b.ReportAllocs()
		b.SetBytes(int64(len(want)))
		var got []byte
		for b.Loop() {
			var err error
			if got, err = EncodeTunnelCreate(benchFamily, &c); err != nil {
				b.Fatal(err)
			}
		}
		if !bytes.Equal(zeroHeader(got), want) {
			b.Fatalf("encoded %x, want %x", got, want)
		}
	})
	b.Run("EncodeSessionCreate", func(b *testing.B) {
		s := benchSession()
		want := readWire(b, "session_create.bin")
		b.ReportAllocs()
		b.SetBytes(int64(len(want)))
		var got []byte
		for b.Loop() {
			var err error
			if got, err = EncodeSessionCreate(benchFamily, &s); err != nil {
				b.Fatal(err)
			}
		}
		if !bytes.Equal(zeroHeader(got), want) {
			b.Fatalf("encoded %x, want %x", got, want)
		}
	})
	b.Run("DecodeSessionGet", func(b *testing.B) {
		wire := readWire(b, "session_get.bin")
		b.ReportAllocs()
		b.SetBytes(int64(len(wire)))
		var s Session
		for b.Loop() {
			var err error
			if s, err = DecodeSessionGet(wire); err != nil {
				b.Fatal(err)
			}
		}
		if s.Stats.RxInvalid != 8 {
			b.Fatalf("decoded %+v", s)
		}
	})
	b.Run("DecodeDump1000", func(b *testing.B) {
		wire := readWire(b, "dump1000.bin")
		b.ReportAllocs()
		b.SetBytes(int64(len(wire)))
		var ss []Session
		for b.Loop() {
			var err error
			if ss, err = DecodeDump(wire); err != nil {
				b.Fatal(err)
			}
		}
		if len(ss) != 1000 {
			b.Fatalf("decoded %d sessions", len(ss))
		}
	})
}
