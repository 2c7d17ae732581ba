package netlinkraw

import (
	"bytes"
	"testing"
	"unsafe"
)

// within reports whether sub lies inside buf.
func within(buf, sub []byte) bool {
	if len(sub) == 0 {
		return true
	}
	b := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	s := uintptr(unsafe.Pointer(unsafe.SliceData(sub)))
	return s >= b && s+uintptr(len(sub)) <= b+uintptr(len(buf))
}

func FuzzMessageDecoder(f *testing.F) {
	for _, seed := range [][]byte{wireAck, wireENOENT, wireExtAck, wireUncapped, wireNlctrl, sampleDump(2), {}, {0x10, 0, 0, 0}} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var (
			d    MessageDecoder
			msgs []msg
		)
		d.Reset(in)
		for d.Next() {
			h, p := d.Header(), d.Payload()
			if !within(in, p) {
				t.Fatalf("payload outside the input")
			}
			if int(h.Length) != HeaderLen+len(p) {
				t.Fatalf("header length %d, payload %d bytes", h.Length, len(p))
			}
			msgs = append(msgs, msg{h, p})
			// The ACK parsers must not panic either.
			parseError(h.Flags, p)
			parseDone(h.Flags, p)
			ParseFamily(p)
		}
		if d.Next() {
			t.Fatal("Next true after the end")
		}
		x := exchange{op: "fuzz", seq: 1, port: 1, dump: len(in)%2 == 0, fn: func(Header, []byte) error { return nil }}
		x.feed(in)

		// Re-encoding the messages and decoding them again gives the same
		// headers (with lengths padded) and payloads (with zero padding).
		var e Encoder
		for _, m := range msgs {
			s := e.BeginMessage(m.H.Type, m.H.Flags, m.H.Seq, m.H.PortID)
			e.Raw(m.P)
			e.EndMessage(s)
		}
		out, err := e.Encoded()
		if err != nil {
			t.Fatal(err)
		}
		again, err := decodeMessages(out)
		if err != nil {
			t.Fatalf("decoding the re-encoded messages: %v", err)
		}
		if len(again) != len(msgs) {
			t.Fatalf("re-encoded %d messages, decoded %d", len(msgs), len(again))
		}
		for i, m := range msgs {
			g := again[i]
			if g.H.Length != uint32(Align(int(m.H.Length))) || g.H.Type != m.H.Type || g.H.Flags != m.H.Flags ||
				g.H.Seq != m.H.Seq || g.H.PortID != m.H.PortID {
				t.Fatalf("message %d: header %+v became %+v", i, m.H, g.H)
			}
			if !bytes.Equal(g.P[:len(m.P)], m.P) || !allZero(g.P[len(m.P):]) {
				t.Fatalf("message %d: payload %x became %x", i, m.P, g.P)
			}
		}
	})
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// decodeTree decodes attributes, recursing into those marked nested.
type attrNode struct {
	Type     uint16
	Data     []byte
	Children []attrNode
}

func decodeTree(t *testing.T, buf, b []byte, depth int) ([]attrNode, error) {
	var out []attrNode
	d := NewAttrDecoder(b)
	for d.Next() {
		if !within(buf, d.Bytes()) {
			t.Fatalf("attribute payload outside the input")
		}
		n := attrNode{Type: d.RawType(), Data: d.Bytes()}
		if d.RawType()&AttrNested != 0 && depth < 8 {
			if c, err := decodeTree(t, buf, d.Bytes(), depth+1); err == nil {
				n.Children, n.Data = c, nil
			}
		}
		out = append(out, n)
	}
	return out, d.Err()
}

func encodeTree(e *Encoder, nodes []attrNode) {
	for _, n := range nodes {
		if n.Children != nil || (n.Type&AttrNested != 0 && n.Data == nil) {
			s := e.BeginNested(n.Type &^ AttrNested)
			encodeTree(e, n.Children)
			e.EndNested(s)
			continue
		}
		e.Bytes(n.Type, n.Data)
	}
}

func FuzzAttrDecoder(f *testing.F) {
	for _, seed := range [][]byte{
		wireNlctrl[HeaderLen+GenlHeaderLen:],
		wireExtAck[HeaderLen+4+HeaderLen:],
		sampleDump(1)[HeaderLen+GenlHeaderLen:],
		{0x04, 0x00, 0x01, 0x00},
		{0x03, 0x00, 0x01, 0x00},
		{0x05, 0x00, 0x01, 0x80, 0x01},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		tree, err := decodeTree(t, in, in, 0)
		// Typed getters on every attribute: never a panic, never a value
		// from a payload of the wrong size.
		d := NewAttrDecoder(in)
		for d.Next() {
			g := d
			switch d.Len() {
			case 1:
				g.Uint8()
			case 2:
				g.Uint16()
				g.Uint16BE()
			case 4:
				g.Uint32()
			case 8:
				g.Uint64()
			}
			if g.Err() != nil {
				t.Fatalf("getter of the right size failed: %v", g.Err())
			}
			w := d
			if w.Uint32(); (d.Len() == 4) != (w.Err() == nil) {
				t.Fatalf("Uint32 on %d bytes: error %v", d.Len(), w.Err())
			}
			_ = d.String()
			_ = d.StringBytes()
			nd := d.Nested()
			for nd.Next() {
			}
		}
		if (err == nil) != (d.Err() == nil) {
			t.Fatalf("two decodings disagree: %v vs %v", err, d.Err())
		}
		// Re-encoding the decoded attributes reproduces them.
		var e Encoder
		encodeTree(&e, tree)
		out, eerr := e.Encoded()
		if eerr != nil {
			t.Fatal(eerr)
		}
		again, err := decodeTree(t, out, out, 0)
		if err != nil {
			t.Fatalf("decoding the re-encoded attributes: %v", err)
		}
		if !sameTree(tree, again) {
			t.Fatalf("re-encoding changed the attributes:\n%+v\n%+v", tree, again)
		}
	})
}

func sameTree(a, b []attrNode) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Type != b[i].Type || !bytes.Equal(a[i].Data, b[i].Data) || !sameTree(a[i].Children, b[i].Children) {
			return false
		}
		if (a[i].Children == nil) != (b[i].Children == nil) && !(len(a[i].Children) == 0 && len(b[i].Children) == 0) {
			return false
		}
	}
	return true
}
