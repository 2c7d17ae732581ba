package netlinkraw

import (
	"encoding/binary"
	"errors"
	"strconv"
	"unsafe"

	"github.com/nl2tp/nl2tp/internal/text"
	"golang.org/x/sys/unix"
)

// noPeekSize is the receive buffer size from which recv reads a datagram
// straight away instead of first asking its length with MSG_PEEK, which
// costs a second system call per datagram. What the kernel sends a socket
// fits in it, with two exceptions that recv detects and reports:
//
//   - A dump datagram is allocated with max(cb->min_dump_alloc,
//     NLMSG_GOODSIZE, max_recvmsg_len) bytes and trimmed to that
//     (netlink_dump), where max_recvmsg_len is the largest length a
//     receive call offered, capped at SKB_WITH_OVERHEAD(32768)
//     (netlink_recvmsg), and NLMSG_GOODSIZE is at most 8 KiB less the skb
//     overhead. Only a family that sets min_dump_alloc above 32 KiB (rtnetlink
//     for a device with very many VFs) goes beyond.
//   - A unicast reply, ACK or event is as big as the family allocated it.
//     Generic netlink families allocate replies with genlmsg_new and
//     NLMSG_GOODSIZE or NLMSG_DEFAULT_SIZE (l2tp does); an ACK with
//     NETLINK_CAP_ACK is a header, an errno and the extended-ACK attributes.
//     Families that size a message from their data (rtnetlink's
//     if_nlmsg_size, an error ACK without NETLINK_CAP_ACK that echoes a
//     large request) can exceed it.
//
// A datagram larger than the buffer is cut by the kernel: recv asks for
// its real length (MSG_TRUNC), grows the buffer so that it fits next time,
// and returns what arrived with errCut, so that the exchange reports the
// loss instead of going on as if nothing happened. A smaller buffer (only
// tests set one) is sized with MSG_PEEK first, as before.
const noPeekSize = initialBufSize

// errCut is recv's report of a datagram that did not fit in the buffer.
var errCut = errors.New("netlinkraw: datagram cut")

// cutErr is the result of an exchange that lost part of a reply to a cut
// datagram of full bytes, of which got arrived.
func cutErr(op string, seq uint32, full, got int) error {
	return &Error{Op: op, Err: unix.EMSGSIZE, Seq: seq,
		Message: "a reply datagram of " + strconv.Itoa(full) + " bytes was cut to the " + strconv.Itoa(got) +
			"-byte receive buffer and the rest lost (the buffer has grown; the request may have taken effect)"}
}

// eventsCut is Receive's error for a datagram that did not fit in the
// buffer: the messages in the part that did not arrive are lost.
func eventsCut(op string, full, got int) error {
	e := &Error{Op: op, Err: unix.EMSGSIZE,
		Message: "a datagram of " + strconv.Itoa(full) + " bytes was cut to the " + strconv.Itoa(got) +
			"-byte receive buffer and the rest lost (the buffer has grown)"}
	return text.Wrap2(ErrEventsLost, ": ", e)
}

// grown returns the size of a buffer that holds a datagram of n bytes,
// at least twice the old size.
func grown(n, old int) int { return max(Align(n), 2*old) }

// firstHeader returns the header of the first message in a datagram, if
// the datagram holds one.
func firstHeader(b []byte) (Header, bool) {
	h, err := ParseHeader(b)
	return h, err == nil
}

// Batch receives ACKs with recvmmsg: many datagrams (each ACK is one) per
// system call.
const (
	mmsgCount    = 64   // datagrams per recvmmsg call
	mmsgSlotSize = 2048 // bytes per datagram: an ACK with extended-ACK text, or a small reply
)

// mmsghdr is struct mmsghdr: a msghdr and the length received.
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
}

// mmsgState holds the buffers of recvMany: count slots of slot bytes.
type mmsgState struct {
	slot  int
	buf   []byte
	hdrs  []mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrNetlink
	got   int // datagrams the last call received
}

// mmsgFor returns the recvmmsg buffers with slots of at least slot bytes,
// making them on first use.
func (c *Conn) mmsgFor(slot int) *mmsgState {
	slot = Align(slot)
	if c.mm != nil && c.mm.slot >= slot {
		return c.mm
	}
	m := &mmsgState{
		slot:  slot,
		buf:   make([]byte, slot*mmsgCount),
		hdrs:  make([]mmsghdr, mmsgCount),
		iovs:  make([]unix.Iovec, mmsgCount),
		names: make([]unix.RawSockaddrNetlink, mmsgCount),
	}
	for i := range m.hdrs {
		m.iovs[i].Base = &m.buf[i*slot]
		m.iovs[i].SetLen(slot)
		m.hdrs[i].hdr.Iov = &m.iovs[i]
		m.hdrs[i].hdr.SetIovlen(1)
		m.hdrs[i].hdr.Name = (*byte)(unsafe.Pointer(&m.names[i]))
	}
	c.mm = m
	return m
}

// recvMany reads up to mmsgCount datagrams with one recvmmsg call. With
// block false it returns 0 and no error when nothing is queued. Datagram
// k is then c.mm.datagram(k). Called with the token held.
func (c *Conn) recvMany(block bool) (int, error) {
	c.io.block = block
	err := c.rc.Read(c.readManyFn)
	if err != nil {
		return 0, err
	}
	if c.io.err == unix.EAGAIN {
		return 0, nil
	}
	if c.io.err != nil {
		return 0, c.io.err
	}
	return c.mm.got, nil
}

// readManyStep is the RawConn.Read callback of recvMany.
func (c *Conn) readManyStep(fd uintptr) bool {
	m := c.mm
	for i := range m.hdrs {
		m.hdrs[i].hdr.Namelen = uint32(unsafe.Sizeof(m.names[i]))
		m.hdrs[i].hdr.Flags = 0
		m.hdrs[i].n = 0
	}
	// MSG_TRUNC: each length is the datagram's real length, even when
	// the slot was too small for it.
	c.recvCalls.Add(1)
	n, _, e := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&m.hdrs[0])), uintptr(len(m.hdrs)),
		unix.MSG_TRUNC, 0, 0)
	if e != 0 {
		c.io.err = e
		return e != unix.EAGAIN || !c.io.block
	}
	c.io.err, m.got = nil, int(n)
	return true
}

// datagram returns the bytes of datagram k of the last recvMany, its
// sender's port ID, and its real length, which is larger than the bytes
// returned when the slot cut it.
func (m *mmsgState) datagram(k int) (b []byte, from uint32, full int) {
	full = int(m.hdrs[k].n)
	b = m.buf[k*m.slot : k*m.slot+min(full, m.slot)]
	return b, m.names[k].Pid, full
}

// ackCut records the ACK with header h whose datagram was cut short after
// the errno that begins payload; the extended-ACK text, if any, is lost.
func (x *batchExchange) ackCut(h Header, payload []byte) {
	off := h.Seq - x.base
	if h.PortID != x.port || off >= uint32(len(x.results)) {
		return
	}
	k := int(off)
	if k < x.i || k >= x.j || x.done[k] {
		return
	}
	x.done[k] = true
	x.pending--
	a := ackInfo{errno: int32(binary.NativeEndian.Uint32(payload))}
	x.results[k] = a.err(x.op, h.Seq)
}

// cutACK handles a cut datagram from port from that is the exchange's
// ACK, alone in its datagram as the kernel sends ACKs and cut in its
// echoed request or extended-ACK attributes: the errno arrived, and with
// it the exchange's result.
func (x *exchange) cutACK(from uint32, b []byte) (done bool, err error) {
	h, ok := firstHeader(b)
	if !ok || from != 0 || h.Type != TypeError || h.Flags&FlagMulti != 0 || len(b) < HeaderLen+4 ||
		h.Seq != x.seq || h.PortID != x.port {
		return false, nil
	}
	a := ackInfo{errno: int32(binary.NativeEndian.Uint32(b[HeaderLen:]))}
	switch {
	case a.errno != 0:
		return true, a.err(x.op, x.seq)
	case x.cutFull > 0:
		return true, cutErr(x.op, x.seq, x.cutFull, x.cutGot)
	}
	return true, x.fnErr
}
