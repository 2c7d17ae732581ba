package netlinkraw

import (
	"encoding/binary"
	"errors"

	"github.com/nl2tp/nl2tp/internal/text"
)

// ErrTruncated reports bytes that end before the lengths they carry say.
var ErrTruncated = errors.New("netlinkraw: truncated")

// Header is a netlink message header (struct nlmsghdr).
type Header struct {
	Length uint32
	Type   uint16
	Flags  uint16
	Seq    uint32
	PortID uint32
}

// ParseHeader decodes the netlink header at the start of b.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderLen {
		return Header{}, text.Wrap("", ErrTruncated, ": netlink header needs "+text.Itoa(HeaderLen)+" bytes, have "+text.Itoa(len(b)))
	}
	return Header{
		Length: binary.NativeEndian.Uint32(b[0:4]),
		Type:   binary.NativeEndian.Uint16(b[4:6]),
		Flags:  binary.NativeEndian.Uint16(b[6:8]),
		Seq:    binary.NativeEndian.Uint32(b[8:12]),
		PortID: binary.NativeEndian.Uint32(b[12:16]),
	}, nil
}

// A MessageDecoder iterates over the netlink messages in a buffer, such as
// the bytes of one recvmsg call, without copying them:
//
//	var d netlinkraw.MessageDecoder
//	d.Reset(buf)
//	for d.Next() {
//		h, payload := d.Header(), d.Payload()
//		...
//	}
//	if err := d.Err(); err != nil { ... }
//
// The zero value holds no messages. A MessageDecoder is not safe for
// concurrent use.
type MessageDecoder struct {
	buf []byte
	off int
	msg []byte // the current message, header included; nil before the first
	err error
}

// Reset makes the decoder iterate over the messages in b.
func (d *MessageDecoder) Reset(b []byte) { *d = MessageDecoder{buf: b} }

// Next advances to the next message. It returns false at the end of the
// buffer or on malformed input, which Err then reports.
//
// It only finds the message; Header and Payload take it apart. That keeps
// Next small enough to inline into decoding loops.
func (d *MessageDecoder) Next() bool {
	if d.err != nil || d.off >= len(d.buf) {
		return false
	}
	rest := d.buf[d.off:]
	if len(rest) >= HeaderLen {
		n := binary.NativeEndian.Uint32(rest)
		if n >= HeaderLen && uint64(n) <= uint64(len(rest)) {
			d.msg = rest[:n:n]
			d.off += min(Align(int(n)), len(rest)) // the last message may omit its padding
			return true
		}
	}
	d.err = errMalformedMsg
	return false
}

// errMalformedMsg marks, in MessageDecoder.err, bytes at d.off that do not
// hold a message; Err replaces it with an error saying why (malformed). It
// lets Next record the failure without a call, which keeps Next small
// enough to inline.
var errMalformedMsg = errors.New("netlinkraw: malformed message")

// malformed describes why rest, at d.off, does not start with a message.
func (d *MessageDecoder) malformed(rest []byte) error {
	if len(rest) < HeaderLen {
		return text.Wrap("", ErrTruncated, ": message at offset "+text.Itoa(d.off)+": netlink header needs "+text.Itoa(HeaderLen)+" bytes, have "+text.Itoa(len(rest)))
	}
	n := binary.NativeEndian.Uint32(rest[0:4])
	if n < HeaderLen {
		return errors.New("netlinkraw: message at offset " + text.Itoa(d.off) + ": length " + text.Itoa(n) + " is shorter than the header")
	}
	return text.Wrap("", ErrTruncated, ": message at offset "+text.Itoa(d.off)+": length "+text.Itoa(n)+", only "+text.Itoa(len(rest))+" bytes left")
}

// Header returns the current message's header.
func (d *MessageDecoder) Header() Header {
	m := d.msg
	if len(m) < HeaderLen {
		return Header{}
	}
	return Header{
		Length: binary.NativeEndian.Uint32(m[0:4]),
		Type:   binary.NativeEndian.Uint16(m[4:6]),
		Flags:  binary.NativeEndian.Uint16(m[6:8]),
		Seq:    binary.NativeEndian.Uint32(m[8:12]),
		PortID: binary.NativeEndian.Uint32(m[12:16]),
	}
}

// Payload returns the current message's bytes after the netlink header. It
// aliases the decoder's buffer.
func (d *MessageDecoder) Payload() []byte {
	if len(d.msg) < HeaderLen {
		return nil
	}
	return d.msg[HeaderLen:]
}

// Err returns the error that stopped the iteration, if any.
func (d *MessageDecoder) Err() error {
	if d.err == errMalformedMsg {
		d.err = d.malformed(d.buf[d.off:])
	}
	return d.err
}

// GenlHeader is a generic netlink header (struct genlmsghdr).
type GenlHeader struct {
	Command uint8
	Version uint8
}

// ParseGenlHeader splits a generic netlink payload into its header and its
// attributes.
func ParseGenlHeader(payload []byte) (GenlHeader, []byte, error) {
	if len(payload) < GenlHeaderLen {
		return GenlHeader{}, nil, text.Wrap("", ErrTruncated, ": generic netlink header needs "+text.Itoa(GenlHeaderLen)+" bytes, have "+text.Itoa(len(payload)))
	}
	return GenlHeader{Command: payload[0], Version: payload[1]}, payload[GenlHeaderLen:], nil
}

// An AttrDecoder iterates over a sequence of netlink attributes without
// copying them. Typed getters check the payload length: a getter called on
// a payload of the wrong size returns the zero value and records an error,
// which Err reports; errors are sticky and stop the iteration.
//
//	var d netlinkraw.AttrDecoder
//	d.Reset(attrs)
//	for d.Next() {
//		switch d.Type() {
//		case attrID:
//			id = d.Uint32()
//		case attrStats:
//			nd := d.Nested()
//			for nd.Next() { ... }
//			if err := nd.Err(); err != nil { ... }
//		}
//	}
//	if err := d.Err(); err != nil { ... }
//
// A nested attribute whose header lacks NLA_F_NESTED (as several kernel
// families send) decodes as nested all the same. The zero value holds no
// attributes. An AttrDecoder is not safe for concurrent use.
type AttrDecoder struct {
	buf  []byte
	off  int
	typ  uint16
	data []byte
	err  error
}

// Reset makes the decoder iterate over the attributes in b.
func (d *AttrDecoder) Reset(b []byte) { *d = AttrDecoder{buf: b} }

// NewAttrDecoder returns a decoder for the attributes in b.
func NewAttrDecoder(b []byte) AttrDecoder { return AttrDecoder{buf: b} }

// errMalformedAttr marks, in AttrDecoder.err, bytes at d.off that do not
// hold an attribute; Err replaces it with an error saying why. It lets Next
// record the failure without a call, which keeps Next small enough to
// inline into decoding loops.
var errMalformedAttr = errors.New("netlinkraw: malformed attribute")

// Next advances to the next attribute. It returns false at the end of the
// attributes, on malformed input, or after an error.
//
// Every error but a malformed attribute moves d.off to the end of d.buf, so
// that Next need not look at d.err; a malformed attribute leaves d.off on
// it, and Next finds it malformed again.
func (d *AttrDecoder) Next() bool {
	rest := d.buf[d.off:]
	if len(rest) >= AttrHeaderLen {
		n := int(binary.NativeEndian.Uint16(rest))
		if n >= AttrHeaderLen && n <= len(rest) {
			d.typ = binary.NativeEndian.Uint16(rest[2:])
			d.data = rest[AttrHeaderLen:n:n]
			d.off += min(Align(n), len(rest)) // the last attribute may omit its padding
			return true
		}
	}
	if len(rest) != 0 {
		d.err, d.data = errMalformedAttr, nil
	}
	return false
}

// malformed describes why rest, at d.off, does not start with an
// attribute. It is out of line to keep Next small.
func (d *AttrDecoder) malformed(rest []byte) error {
	if len(rest) < AttrHeaderLen {
		return text.Wrap("", ErrTruncated, ": "+text.Itoa(len(rest))+" trailing bytes at offset "+text.Itoa(d.off)+" are too short for an attribute header")
	}
	n := int(binary.NativeEndian.Uint16(rest[0:2]))
	if n < AttrHeaderLen {
		return errors.New("netlinkraw: attribute at offset " + text.Itoa(d.off) + ": length " + text.Itoa(n) + " is shorter than its header")
	}
	return text.Wrap("", ErrTruncated, ": attribute at offset "+text.Itoa(d.off)+": length "+text.Itoa(n)+", only "+text.Itoa(len(rest))+" bytes left")
}

// Type returns the current attribute's type without the NLA_F_NESTED and
// NLA_F_NET_BYTEORDER bits.
func (d *AttrDecoder) Type() uint16 { return d.typ & AttrTypeMask }

// RawType returns the current attribute's type with its flag bits.
func (d *AttrDecoder) RawType() uint16 { return d.typ }

// Bytes returns the current attribute's payload. It aliases the buffer.
func (d *AttrDecoder) Bytes() []byte { return d.data }

// Len returns the length of the current attribute's payload.
func (d *AttrDecoder) Len() int { return len(d.data) }

// Err returns the first error met, if any.
func (d *AttrDecoder) Err() error {
	if d.err == errMalformedAttr {
		d.err = d.malformed(d.buf[d.off:])
	}
	return d.err
}

// Fail records err, unless an error is already recorded, and stops the
// iteration. Callers use it to report a payload they cannot accept.
func (d *AttrDecoder) Fail(err error) {
	if d.err == nil && err != nil {
		d.err = err
		d.off = len(d.buf)
		d.data = nil
	}
}

// The typed getters check the payload length inline and record a wrong
// one out of line (badLen), so that their usual path makes no call. They
// need not check d.err: every error empties d.data, so a getter called
// after one fails its length check, returns zero and keeps the first error.

// badLen records that the payload is not n bytes long, unless an error is
// already recorded.
func (d *AttrDecoder) badLen(n int) {
	if d.err == nil {
		d.err = errors.New("netlinkraw: attribute " + text.Itoa(d.Type()) + ": payload must be " + text.Itoa(n) + " bytes, got " + text.Itoa(len(d.data)))
		d.off = len(d.buf)
		d.data = nil
	}
}

func (d *AttrDecoder) want(n int) bool {
	if d.err == nil && len(d.data) == n {
		return true
	}
	d.badLen(n)
	return false
}

// Uint8 returns the payload as a u8.
func (d *AttrDecoder) Uint8() uint8 {
	if len(d.data) != 1 {
		d.badLen(1)
		return 0
	}
	return d.data[0]
}

// Uint16 returns the payload as a u16 in host byte order.
func (d *AttrDecoder) Uint16() uint16 {
	if len(d.data) != 2 {
		d.badLen(2)
		return 0
	}
	return binary.NativeEndian.Uint16(d.data)
}

// Uint16BE returns the payload as a u16 in network byte order.
func (d *AttrDecoder) Uint16BE() uint16 {
	if len(d.data) != 2 {
		d.badLen(2)
		return 0
	}
	return binary.BigEndian.Uint16(d.data)
}

// Uint32 returns the payload as a u32 in host byte order.
func (d *AttrDecoder) Uint32() uint32 {
	if len(d.data) != 4 {
		d.badLen(4)
		return 0
	}
	return binary.NativeEndian.Uint32(d.data)
}

// Uint64 returns the payload as a u64 in host byte order.
func (d *AttrDecoder) Uint64() uint64 {
	if len(d.data) != 8 {
		d.badLen(8)
		return 0
	}
	return binary.NativeEndian.Uint64(d.data)
}

// Flag reports true: a flag attribute means true by its presence. A flag
// with a payload is an error.
func (d *AttrDecoder) Flag() bool { return d.want(0) }

// String returns the payload as a string, without its NUL terminator and
// anything after it. It allocates.
func (d *AttrDecoder) String() string {
	if d.err != nil {
		return ""
	}
	return string(d.StringBytes())
}

// StringBytes returns the payload up to its first NUL byte, without copying.
func (d *AttrDecoder) StringBytes() []byte {
	if d.err != nil {
		return nil
	}
	b := d.data
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

// Nested returns a decoder for the attributes inside the current attribute.
func (d *AttrDecoder) Nested() AttrDecoder {
	if err := d.Err(); err != nil {
		return AttrDecoder{err: err}
	}
	return AttrDecoder{buf: d.data}
}
