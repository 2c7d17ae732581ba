package netlinkraw

import (
	"context"
	"encoding/binary"
	"errors"
	"unsafe"

	"github.com/nl2tp/nl2tp/internal/text"
	"golang.org/x/sys/unix"
)

// defaultBatchEst is the receive-buffer cost (skb truesize) Batch assumes
// for the reply or ACK of one request until it learns better. A capped ACK
// costs about 1 KiB, a small reply 1 to 2 KiB once the kernel has trimmed
// it; 4 KiB leaves room for larger replies.
const defaultBatchEst = 4096

// errReplyLost is the message of the error for a request whose ACK the
// kernel dropped because the receive buffer overflowed.
const errReplyLost = "ACK lost to a receive buffer overrun; the request may have taken effect"

// Batch sends the messages concatenated in msgs (each built with
// BeginMessage/EndMessage) as requests with ACKs, packed into as few write
// calls as the socket's send buffer and receive buffer allow, and returns one
// error per message, in order: nil when the kernel ACKed it, an *Error for a
// kernel error. It fills in each message's sequence number and port ID and
// ORs FlagRequest|FlagAck into its flags, in place. Replies other than ACKs
// are discarded.
//
// The kernel handles every message of a write even when some fail, so one
// failure never hides or shifts the others. Batch sizes each write so the
// replies fit in the receive buffer; should the kernel still drop ACKs, the
// affected results are *Error wrapping ENOBUFS (the request may have taken
// effect) and later writes are made smaller. Batch reads the ACKs many at a
// time (recvmmsg); an ACK longer than its 2 KiB slot still gives its
// errno, and an ACK lost in a longer datagram that was cut (the
// NLMSG_DONE of a dump in the batch) is an *Error wrapping EMSGSIZE.
//
// The second result is a transport error (a failed write, a cancelled
// context, a closed Conn) that stopped the batch; the results of the
// messages it left unanswered are that error.
func (c *Conn) Batch(ctx context.Context, msgs []byte) ([]error, error) {
	const op = "batch"
	var offs []int
	for off := 0; off < len(msgs); {
		h, err := ParseHeader(msgs[off:])
		if err != nil {
			return nil, text.Wrap("netlinkraw: "+op+": message "+text.Itoa(len(offs))+" at offset "+text.Itoa(off)+": ", err, "")
		}
		if h.Length < HeaderLen || uint64(h.Length) > uint64(len(msgs)-off) {
			return nil, errors.New("netlinkraw: " + op + ": message " + text.Itoa(len(offs)) + " at offset " + text.Itoa(off) +
				": length " + text.Itoa(h.Length) + " must be between " + text.Itoa(HeaderLen) + " and the " + text.Itoa(len(msgs)-off) + " bytes left")
		}
		offs = append(offs, off)
		off += min(Align(int(h.Length)), len(msgs)-off)
	}
	n := len(offs)
	results := make([]error, n)
	if n == 0 {
		return results, nil
	}
	if err := c.acquire(ctx, op); err != nil {
		return failFrom(results, nil, 0, err)
	}
	defer c.release()
	if err := c.finishDump(ctx, op); err != nil {
		return failFrom(results, nil, 0, err)
	}

	base := c.seq.Add(uint32(n)) - uint32(n) + 1
	for i, off := range offs {
		m := msgs[off:]
		flags := binary.NativeEndian.Uint16(m[6:8])
		binary.NativeEndian.PutUint16(m[6:8], flags|FlagRequest|FlagAck)
		binary.NativeEndian.PutUint32(m[8:12], base+uint32(i))
		binary.NativeEndian.PutUint32(m[12:16], c.portID)
	}
	sndbuf, rcvbuf, err := c.bufSizes()
	if err != nil {
		return failFrom(results, nil, 0, c.wrapIOErr(ctx, op, err))
	}
	stop := c.watch(ctx)
	defer stop()

	done := make([]bool, n)
	msgLen := func(k int) int {
		if k+1 < n {
			return offs[k+1] - offs[k]
		}
		return len(msgs) - offs[k]
	}
	for i := 0; i < n; {
		if err := ctx.Err(); err != nil {
			return failFrom(results, done, i, text.Wrap("netlinkraw: "+op+": ", err, ""))
		}
		if l := msgLen(i); l > sndbuf-32 {
			// The kernel refuses a write this large (EMSGSIZE): fail
			// this message alone.
			done[i] = true
			results[i] = &Error{Op: op, Err: unix.EMSGSIZE, Seq: base + uint32(i),
				Message: "message of " + text.Itoa(l) + " bytes does not fit in the socket send buffer of " + text.Itoa(sndbuf)}
			i++
			continue
		}
		// Pack messages i..j-1 into one write.
		j, size := i, 0
		for j < n {
			l := msgLen(j)
			if j > i && (size+l > sndbuf-32 || (j-i+1)*c.batchEst > rcvbuf) {
				break
			}
			size += l
			j++
		}
		end := len(msgs)
		if j < n {
			end = offs[j]
		}
		if err := c.send(msgs[offs[i]:end]); err != nil {
			return failFrom(results, done, i, c.wrapIOErr(ctx, op, err))
		}
		// The kernel has answered the whole write by now: learn the
		// real cost of its answers from the receive queue.
		if rmem, err := c.rmemAlloc(); err == nil && j > i {
			if per := rmem / (j - i); per > c.batchEst*3/4 {
				c.batchEst = 2 * per
			}
		}
		lost, acked, err := c.collect(op, base, i, j, results, done)
		if err != nil {
			return failFrom(results, done, i, c.wrapIOErr(ctx, op, err))
		}
		if lost {
			c.batchEst = max(2*c.batchEst, rcvbuf/max(acked, 1))
		}
		i = j
	}
	return results, nil
}

// collect reads the ACKs of messages i..j-1 of a batch whose first sequence
// number is base, many datagrams per system call (recvmmsg: each ACK is a
// datagram of its own). It reports whether the kernel dropped some of
// them, and how many it did not drop.
func (c *Conn) collect(op string, base uint32, i, j int, results []error, done []bool) (lost bool, acked int, err error) {
	x := batchExchange{op: op, base: base, port: c.portID, i: i, j: j, results: results, done: done, pending: j - i}
	mm := c.mmsgFor(c.mmSlot)
	drain := false // read what is queued, without waiting, then give up
	cutFull, cutGot := 0, 0
	for x.pending > 0 {
		got, err := c.recvMany(!drain)
		if err == unix.ENOBUFS {
			// Replies were dropped. Everything the kernel will send for
			// this write is queued already: drain it, then give up on
			// the rest.
			lost, drain = true, true
			continue
		}
		if err != nil {
			return lost, j - i - x.pending, err
		}
		if got == 0 { // drained
			acked = j - i - x.pending
			for k := i; k < j; k++ {
				if !done[k] {
					done[k] = true
					if cutFull > 0 {
						results[k] = cutErr(op, base+uint32(k), cutFull, cutGot)
					} else {
						results[k] = &Error{Op: op, Err: unix.ENOBUFS, Message: errReplyLost, Seq: base + uint32(k)}
					}
				}
			}
			return lost, acked, nil
		}
		for k := range got {
			b, from, full := mm.datagram(k)
			if from != 0 {
				continue
			}
			x.partial = full > len(b)
			if x.partial {
				h, ok := firstHeader(b)
				switch {
				case ok && h.Type == TypeError && h.Flags&FlagMulti == 0 && len(b) >= HeaderLen+4:
					// An ACK, alone in its datagram as the kernel
					// sends them, cut in its echoed request or
					// extended-ACK attributes: its errno arrived.
					x.ackCut(h, b[HeaderLen:])
					continue
				case ok && h.Type != TypeError && h.Type != TypeDone && h.Flags&FlagMulti == 0:
					// A reply, which Batch discards; its ACK is a
					// datagram of its own.
					continue
				}
				// A multipart datagram may have ended with an ACK
				// (NLMSG_DONE) that is lost.
				drain, cutFull, cutGot = true, full, len(b)
			}
			if err := x.feed(b); err != nil {
				return lost, j - i - x.pending, err
			}
		}
	}
	return lost, j - i, nil
}

// failFrom sets the results from i on that have no answer yet to err.
func failFrom(results []error, done []bool, i int, err error) ([]error, error) {
	for k := i; k < len(results); k++ {
		if done == nil || !done[k] {
			results[k] = err
		}
	}
	return results, err
}

// rmemAlloc returns the bytes the receive queue holds, as the kernel
// accounts them against the receive buffer (SK_MEMINFO_RMEM_ALLOC).
func (c *Conn) rmemAlloc() (int, error) {
	var (
		mi   [unix.SK_MEMINFO_VARS]uint32
		serr error
	)
	err := c.rc.Control(func(fd uintptr) {
		n := uint32(unsafe.Sizeof(mi))
		_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, fd, unix.SOL_SOCKET, unix.SO_MEMINFO,
			uintptr(unsafe.Pointer(&mi[0])), uintptr(unsafe.Pointer(&n)), 0)
		if e != 0 {
			serr = e
		}
	})
	if err == nil {
		err = serr
	}
	return int(mi[unix.SK_MEMINFO_RMEM_ALLOC]), err
}

// bufSizes returns the socket's send and receive buffer sizes as the kernel
// accounts them.
func (c *Conn) bufSizes() (snd, rcv int, err error) {
	var serr error
	err = c.rc.Control(func(fd uintptr) {
		snd, serr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUF)
		if serr == nil {
			rcv, serr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF)
		}
	})
	if err == nil {
		err = serr
	}
	return snd, rcv, err
}
