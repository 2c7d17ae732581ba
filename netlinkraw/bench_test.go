package netlinkraw

import (
	"fmt"
	"testing"
)

// encodeN builds one message with n u32 attributes, a string and a nested
// block, the shape of a typical generic netlink request.
func encodeN(e *Encoder, n int) {
	m := e.BeginMessage(0x1b, FlagRequest|FlagAck, 42, 0)
	e.GenlHeader(4, 1)
	for i := range n {
		e.Uint32(uint16(i%60+1), uint32(i))
	}
	e.String(8, "l2tpeth0")
	nd := e.BeginNested(21)
	e.Uint64(1, 100)
	e.Uint16BE(2, 1701)
	e.EndNested(nd)
	e.EndMessage(m)
}

// BenchmarkEncode builds messages into a reused buffer (the intended use,
// 0 allocs/op) and, as a baseline, into a fresh buffer each time.
func BenchmarkEncode(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		var probe Encoder
		encodeN(&probe, n)
		size := probe.Len()
		b.Run(fmt.Sprintf("attrs=%d/reused", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			buf := make([]byte, 0, size)
			var e Encoder
			for b.Loop() {
				e.Reset(buf)
				encodeN(&e, n)
			}
			if e.Err() != nil {
				b.Fatal(e.Err())
			}
		})
		b.Run(fmt.Sprintf("attrs=%d/fresh", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				var e Encoder
				encodeN(&e, n)
			}
		})
	}
}

// BenchmarkDecode walks every message and attribute of a dump of n
// session-like messages.
func BenchmarkDecode(b *testing.B) {
	for _, n := range []int{1, 16, 128} {
		wire := sampleDump(n)
		b.Run(fmt.Sprintf("msgs=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(wire)))
			for b.Loop() {
				if _, err := walkDump(wire); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
