package netlinkraw

import (
	"encoding/binary"
	"errors"
	"math"

	"github.com/nl2tp/nl2tp/internal/text"
)

// Sizes of the fixed parts of a message.
const (
	HeaderLen     = 16 // struct nlmsghdr
	GenlHeaderLen = 4  // struct genlmsghdr
	AttrHeaderLen = 4  // struct nlattr
)

// Message types every netlink family shares.
const (
	TypeNoop    uint16 = 0x1
	TypeError   uint16 = 0x2
	TypeDone    uint16 = 0x3
	TypeOverrun uint16 = 0x4
)

// Header flags (nlmsg_flags).
const (
	FlagRequest      uint16 = 0x1
	FlagMulti        uint16 = 0x2
	FlagAck          uint16 = 0x4
	FlagEcho         uint16 = 0x8
	FlagDumpIntr     uint16 = 0x10
	FlagDumpFiltered uint16 = 0x20

	// Modifiers of GET requests.
	FlagRoot   uint16 = 0x100
	FlagMatch  uint16 = 0x200
	FlagAtomic uint16 = 0x400
	FlagDump          = FlagRoot | FlagMatch

	// Modifiers of NEW requests.
	FlagReplace uint16 = 0x100
	FlagExcl    uint16 = 0x200
	FlagCreate  uint16 = 0x400
	FlagAppend  uint16 = 0x800

	// Flags of an error (ACK) message.
	FlagCapped  uint16 = 0x100
	FlagAckTLVs uint16 = 0x200
)

// Attribute type bits.
const (
	AttrNested       uint16 = 0x8000
	AttrNetByteorder uint16 = 0x4000
	AttrTypeMask     uint16 = 0x3fff
)

// Align rounds n up to the netlink alignment of 4 bytes.
func Align(n int) int { return (n + 3) &^ 3 }

// An Encoder appends netlink messages and attributes to a byte slice. It
// allocates only when the slice it appends to must grow, so an Encoder reset
// onto a reused buffer builds messages with no allocation at all.
//
// Errors are sticky: after the first one (an attribute or message that does
// not fit its 16- or 32-bit length field, or an End without its Begin) every
// later call does nothing and Err reports the first error.
//
// The zero value is ready to use. An Encoder is not safe for concurrent use.
type Encoder struct {
	buf  []byte
	base int // alignment is relative to where encoding started
	err  error
}

// Reset makes the Encoder append to b[:0], keeping b's capacity, and clears
// any error.
func (e *Encoder) Reset(b []byte) {
	e.buf = b[:0]
	e.base = 0
	e.err = nil
}

// ResetAppend makes the Encoder append to b after its current contents,
// and clears any error. It lets several messages share one buffer, as a
// batch does. Alignment counts from the end of b's current contents.
func (e *Encoder) ResetAppend(b []byte) {
	e.buf = b
	e.base = len(b)
	e.err = nil
}

// Encoded returns the encoded bytes and the first error, if any. The bytes
// alias the Encoder's buffer.
func (e *Encoder) Encoded() ([]byte, error) { return e.buf, e.err }

// Err returns the first error met, if any.
func (e *Encoder) Err() error { return e.err }

// Len returns the number of bytes encoded so far.
func (e *Encoder) Len() int { return len(e.buf) }

func (e *Encoder) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

// grow extends the buffer by n bytes and returns them. Their contents are
// unspecified: every caller writes each of them, padding included, since a
// reused buffer holds old bytes.
func (e *Encoder) grow(n int) []byte {
	off := len(e.buf)
	if cap(e.buf)-off < n {
		e.realloc(n)
	}
	e.buf = e.buf[:off+n]
	return e.buf[off:]
}

// realloc gives the buffer room for n more bytes. It stays out of line so
// that the encoders calling it stay small.
//
//go:noinline
func (e *Encoder) realloc(n int) {
	nb := make([]byte, len(e.buf), 2*cap(e.buf)+n)
	copy(nb, e.buf)
	e.buf = nb
}

// BeginMessage appends a netlink header with the given type, flags, sequence
// number and port ID and returns the message's start offset, which EndMessage
// takes to fill in the length.
func (e *Encoder) BeginMessage(typ, flags uint16, seq, portID uint32) int {
	if e.err != nil {
		return -1
	}
	off := len(e.buf)
	if cap(e.buf)-off < HeaderLen {
		e.realloc(HeaderLen)
	}
	e.buf = e.buf[:off+HeaderLen]
	h := e.buf[off:]
	binary.NativeEndian.PutUint32(h[0:4], 0) // EndMessage writes the length
	binary.NativeEndian.PutUint16(h[4:6], typ)
	binary.NativeEndian.PutUint16(h[6:8], flags)
	binary.NativeEndian.PutUint32(h[8:12], seq)
	binary.NativeEndian.PutUint32(h[12:16], portID)
	return off
}

// BeginGenlMessage appends a netlink header and a generic netlink header at
// once, as BeginMessage(typ, flags, seq, portID) and then GenlHeader(cmd,
// version) do, and returns the message's start offset for EndMessage.
func (e *Encoder) BeginGenlMessage(typ, flags uint16, seq, portID uint32, cmd, version uint8) int {
	if e.err != nil {
		return -1
	}
	const n = HeaderLen + GenlHeaderLen
	off := len(e.buf)
	if cap(e.buf)-off < n {
		e.realloc(n)
	}
	e.buf = e.buf[:off+n]
	h := e.buf[off : off+n]
	binary.NativeEndian.PutUint32(h[0:4], 0) // EndMessage writes the length
	binary.NativeEndian.PutUint16(h[4:6], typ)
	binary.NativeEndian.PutUint16(h[6:8], flags)
	binary.NativeEndian.PutUint32(h[8:12], seq)
	binary.NativeEndian.PutUint32(h[12:16], portID)
	h[16] = cmd
	h[17] = version
	h[18] = 0 // reserved
	h[19] = 0
	return off
}

// EndMessage pads the message begun at start to the netlink alignment and
// writes its length into its header.
func (e *Encoder) EndMessage(start int) {
	if e.err != nil {
		return
	}
	if start < 0 || start+HeaderLen > len(e.buf) {
		e.endMessageFail(start, 0)
		return
	}
	if (len(e.buf)-e.base)%4 != 0 {
		e.pad()
	}
	n := len(e.buf) - start
	if n > math.MaxUint32 {
		e.endMessageFail(start, n)
		return
	}
	binary.NativeEndian.PutUint32(e.buf[start:], uint32(n))
}

// endMessageFail records why EndMessage(start) cannot end a message of n
// bytes. It is out of line to keep EndMessage small.
//
//go:noinline
func (e *Encoder) endMessageFail(start, n int) {
	if n == 0 {
		e.fail(errors.New("netlinkraw: EndMessage(" + text.Itoa(start) + ") without a matching BeginMessage"))
		return
	}
	e.fail(errors.New("netlinkraw: message of " + text.Itoa(n) + " bytes exceeds the 32-bit length field"))
}

// GenlHeader appends a generic netlink header.
func (e *Encoder) GenlHeader(cmd, version uint8) {
	if e.err != nil {
		return
	}
	off := len(e.buf)
	if cap(e.buf)-off < GenlHeaderLen {
		e.realloc(GenlHeaderLen)
	}
	e.buf = e.buf[:off+GenlHeaderLen]
	h := e.buf[off:]
	h[0] = cmd
	h[1] = version
	h[2] = 0 // reserved
	h[3] = 0
}

// Raw appends b as it is, then pads to the netlink alignment. It serves
// fixed family headers such as struct ifinfomsg.
func (e *Encoder) Raw(b []byte) {
	if e.err != nil {
		return
	}
	copy(e.grow(len(b)), b)
	e.pad()
}

func (e *Encoder) pad() {
	l := len(e.buf) - e.base
	if n := Align(l) - l; n > 0 {
		clear(e.grow(n))
	}
}

// The attribute encoders below each grow the buffer once and leave no byte
// of the attribute unwritten, its padding included: the buffer is reused,
// so nothing in it can be assumed zero. The fixed-size ones grow it with
// append(e.buf, make([]byte, n)...), which zeroes the new bytes and which
// the compiler turns into a capacity check and a few stores; that keeps
// them small enough to inline into their callers, about 1.5 times faster
// than a call per attribute.

// putAttrHeader writes an attribute header with length n into b.
func putAttrHeader(b []byte, n int, typ uint16) {
	binary.NativeEndian.PutUint16(b[0:2], uint16(n))
	binary.NativeEndian.PutUint16(b[2:4], typ)
}

// Uint8 appends a u8 attribute.
func (e *Encoder) Uint8(typ uint16, v uint8) {
	if e.err != nil {
		return
	}
	off := len(e.buf)
	e.buf = append(e.buf, make([]byte, 8)...)
	b := e.buf[off : off+8]
	putAttrHeader(b, AttrHeaderLen+1, typ)
	b[4] = v
}

// Uint16 appends a u16 attribute in host byte order.
func (e *Encoder) Uint16(typ uint16, v uint16) {
	if e.err != nil {
		return
	}
	off := len(e.buf)
	e.buf = append(e.buf, make([]byte, 8)...)
	b := e.buf[off : off+8]
	putAttrHeader(b, AttrHeaderLen+2, typ)
	binary.NativeEndian.PutUint16(b[4:6], v)
}

// Uint32 appends a u32 attribute in host byte order.
func (e *Encoder) Uint32(typ uint16, v uint32) {
	if e.err != nil {
		return
	}
	off := len(e.buf)
	e.buf = append(e.buf, make([]byte, 8)...)
	b := e.buf[off : off+8]
	putAttrHeader(b, AttrHeaderLen+4, typ)
	binary.NativeEndian.PutUint32(b[4:8], v)
}

// Uint64 appends a u64 attribute in host byte order.
func (e *Encoder) Uint64(typ uint16, v uint64) {
	if e.err != nil {
		return
	}
	off := len(e.buf)
	e.buf = append(e.buf, make([]byte, 12)...)
	b := e.buf[off : off+12]
	putAttrHeader(b, AttrHeaderLen+8, typ)
	binary.NativeEndian.PutUint64(b[4:12], v)
}

// Uint16BE appends a u16 attribute in network byte order (a port, say).
func (e *Encoder) Uint16BE(typ uint16, v uint16) {
	if e.err != nil {
		return
	}
	off := len(e.buf)
	e.buf = append(e.buf, make([]byte, 8)...)
	b := e.buf[off : off+8]
	putAttrHeader(b, AttrHeaderLen+2, typ)
	binary.BigEndian.PutUint16(b[4:6], v)
}

// varAttr appends an attribute with an n-byte payload, whose padding is
// zeroed and whose payload the caller writes at b[AttrHeaderLen:]. It
// returns nil after an error.
func (e *Encoder) varAttr(typ uint16, n int) []byte {
	if e.err != nil {
		return nil
	}
	if n > math.MaxUint16-AttrHeaderLen {
		e.fail(errors.New("netlinkraw: attribute " + text.Itoa(typ&AttrTypeMask) + ": payload of " + text.Itoa(n) + " bytes exceeds the 16-bit length field"))
		return nil
	}
	l := Align(AttrHeaderLen + n)
	off := len(e.buf)
	if cap(e.buf)-off < l {
		e.realloc(l)
	}
	e.buf = e.buf[:off+l]
	b := e.buf[off:]
	// The last word holds the padding, if any; the payload and header
	// overwrite the rest of it.
	binary.NativeEndian.PutUint32(b[l-4:l], 0)
	putAttrHeader(b, AttrHeaderLen+n, typ)
	return b
}

// Bytes appends an attribute whose payload is b.
func (e *Encoder) Bytes(typ uint16, b []byte) {
	if a := e.varAttr(typ, len(b)); a != nil {
		copy(a[AttrHeaderLen:], b)
	}
}

// String appends a NUL-terminated string attribute.
func (e *Encoder) String(typ uint16, s string) {
	if a := e.varAttr(typ, len(s)+1); a != nil {
		a[AttrHeaderLen+copy(a[AttrHeaderLen:], s)] = 0
	}
}

// Flag appends a zero-length attribute, whose presence means true.
func (e *Encoder) Flag(typ uint16) {
	if e.err != nil {
		return
	}
	off := len(e.buf)
	e.buf = append(e.buf, make([]byte, AttrHeaderLen)...)
	putAttrHeader(e.buf[off:off+AttrHeaderLen], AttrHeaderLen, typ)
}

// BeginNested appends the header of a nested attribute, with NLA_F_NESTED
// set, and returns its offset for EndNested.
func (e *Encoder) BeginNested(typ uint16) int {
	if e.err != nil {
		return -1
	}
	off := len(e.buf)
	e.buf = append(e.buf, make([]byte, AttrHeaderLen)...)
	putAttrHeader(e.buf[off:off+AttrHeaderLen], AttrHeaderLen, typ|AttrNested)
	return off
}

// EndNested writes the length of the nested attribute begun at start.
func (e *Encoder) EndNested(start int) {
	if e.err != nil {
		return
	}
	if start < 0 || start+AttrHeaderLen > len(e.buf) {
		e.fail(errors.New("netlinkraw: EndNested(" + text.Itoa(start) + ") without a matching BeginNested"))
		return
	}
	n := len(e.buf) - start
	if n > math.MaxUint16 {
		e.fail(errors.New("netlinkraw: nested attribute " + text.Itoa(binary.NativeEndian.Uint16(e.buf[start+2:])&AttrTypeMask) +
			": " + text.Itoa(n) + " bytes exceed the 16-bit length field"))
		return
	}
	binary.NativeEndian.PutUint16(e.buf[start:], uint16(n))
}
