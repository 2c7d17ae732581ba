package netlinkraw

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/nl2tp/nl2tp/internal/text"
	"golang.org/x/sys/unix"
)

// Config holds the options of Dial. The zero value (or a nil *Config) means
// defaults: the caller's network namespace, no multicast groups, the
// kernel's default receive buffer, and extended ACKs on.
type Config struct {
	// NetNS is a file descriptor of a network namespace to open the socket
	// in; 0 means the caller's namespace. Dial does not close it.
	NetNS int
	// NetNSPath names a network namespace to open the socket in, such as
	// /run/netns/blue or /proc/PID/ns/net. It is ignored when NetNS is set.
	NetNSPath string
	// Groups are multicast group IDs to join at Dial.
	Groups []uint32
	// ReceiveBufferSize sets the socket receive buffer (SO_RCVBUFFORCE,
	// falling back to SO_RCVBUF without CAP_NET_ADMIN); 0 keeps the
	// kernel's default.
	ReceiveBufferSize int
	// DisableExtAck leaves NETLINK_EXT_ACK and NETLINK_CAP_ACK off.
	DisableExtAck bool
}

// initialBufSize is the first receive buffer size. The kernel sizes dump
// datagrams from the largest buffer a socket has offered, up to 32 KiB.
const initialBufSize = 32 << 10

// A Conn is a netlink socket.
//
// A Conn is safe for concurrent use: exchanges (Request, Dump, Batch,
// Receive) are serialised, one at a time per Conn, and a caller waiting for
// its turn gives up when its context ends or the Conn is closed. Replies are
// matched to requests by sequence number and port ID, and stale replies (for
// example the ACK of a request whose context was cancelled) are dropped.
// Multicast events arriving during a Request, Dump or Batch are dropped
// too, so a program that listens for events should use a Conn of its own
// for them. Close may be called at any time from any goroutine; it unblocks
// an exchange in progress. No goroutine runs on behalf of a Conn.
type Conn struct {
	f      *os.File
	rc     syscall.RawConn
	portID uint32
	seq    atomic.Uint32

	sem    chan struct{} // holds one token while an exchange runs
	closed chan struct{} // closed by Close
	isDone atomic.Bool

	// Guarded by sem.
	buf         []byte
	deadlineSet bool
	batchEst    int    // estimated receive-buffer cost of one reply in a batch
	dumpPending bool   // a Dump returned before its NLMSG_DONE
	dumpSeq     uint32 // and this was its sequence number

	// State of the RawConn callbacks, which are method values made once
	// so that reads and writes allocate nothing. Guarded by sem.
	readFn, writeFn func(fd uintptr) bool
	readManyFn      func(fd uintptr) bool
	io              struct {
		block bool
		wbuf  []byte
		n     int
		from  uint32
		err   error
	}
	mm        *mmsgState // Batch's recvmmsg buffers, made on first use
	mmSlot    int        // their bytes per datagram: mmsgSlotSize, or less in tests
	peekBelow int        // recv peeks at lengths while c.buf is smaller: noPeekSize, or 0 in tests

	sendCalls atomic.Uint64 // write calls, for tests
	recvCalls atomic.Uint64 // receive calls (recvfrom and recvmmsg, peeks included), for tests
}

// Dial opens a netlink socket for protocol (unix.NETLINK_GENERIC,
// unix.NETLINK_ROUTE, ...). A nil cfg means defaults.
func Dial(protocol int, cfg *Config) (*Conn, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	fd, err := socketIn(protocol, cfg)
	if err != nil {
		return nil, err
	}
	c, err := newConn(fd, cfg)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func socketIn(protocol int, cfg *Config) (int, error) {
	open := func() (int, error) {
		fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, protocol)
		if err != nil {
			return -1, os.NewSyscallError("socket", err)
		}
		return fd, nil
	}
	nsfd := cfg.NetNS
	if nsfd == 0 && cfg.NetNSPath != "" {
		f, err := os.Open(cfg.NetNSPath)
		if err != nil {
			return -1, text.Wrap("netlinkraw: network namespace: ", err, "")
		}
		defer f.Close()
		nsfd = int(f.Fd())
	}
	if nsfd == 0 {
		return open()
	}
	return inNetNS(nsfd, open)
}

// inNetNS runs fn on a locked OS thread moved into the network namespace
// nsfd. It uses a goroutine of its own so that, should the thread fail to
// return to its original namespace, the thread is not handed back to the
// scheduler: a goroutine that exits while locked takes its thread with it.
func inNetNS(nsfd int, fn func() (int, error)) (int, error) {
	type result struct {
		fd  int
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{-1, text.Wrap("netlinkraw: network namespace: ", err, "")}
			return
		}
		defer orig.Close()
		if err := unix.Setns(nsfd, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			ch <- result{-1, text.Wrap("netlinkraw: network namespace: ", os.NewSyscallError("setns", err), "")}
			return
		}
		fd, ferr := fn()
		if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
			// Stay locked: the thread dies with this goroutine.
			if ferr == nil {
				unix.Close(fd)
			}
			ch <- result{-1, text.Wrap("netlinkraw: network namespace: restoring the thread's namespace: ", os.NewSyscallError("setns", err), "")}
			return
		}
		runtime.UnlockOSThread()
		ch <- result{fd, ferr}
	}()
	r := <-ch
	return r.fd, r.err
}

func newConn(fd int, cfg *Config) (*Conn, error) {
	fail := func(op string, err error) (*Conn, error) {
		unix.Close(fd)
		return nil, text.Wrap("netlinkraw: dial: ", os.NewSyscallError(op, err), "")
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fail("bind", err)
	}
	// Connected to the kernel, the socket refuses unicast messages from
	// other processes; multicast still arrives.
	if err := unix.Connect(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fail("connect", err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return fail("getsockname", err)
	}
	nsa, ok := sa.(*unix.SockaddrNetlink)
	if !ok {
		unix.Close(fd)
		return nil, errors.New("netlinkraw: dial: getsockname returned " + sockaddrType(sa) + ", not a netlink address")
	}
	if !cfg.DisableExtAck {
		if err := unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_EXT_ACK, 1); err != nil {
			return fail("setsockopt NETLINK_EXT_ACK", err)
		}
		if err := unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_CAP_ACK, 1); err != nil {
			return fail("setsockopt NETLINK_CAP_ACK", err)
		}
	}
	if n := cfg.ReceiveBufferSize; n > 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, n); err != nil {
			if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, n); err != nil {
				return fail("setsockopt SO_RCVBUF", err)
			}
		}
	}
	for _, g := range cfg.Groups {
		if err := unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_ADD_MEMBERSHIP, int(g)); err != nil {
			unix.Close(fd)
			return nil, text.Wrap("netlinkraw: dial: joining multicast group "+text.Itoa(g)+": ", os.NewSyscallError("setsockopt", err), "")
		}
	}
	// The fd is non-blocking, so os.NewFile registers it with the runtime
	// poller: reads park the goroutine, deadlines work, and Close wakes a
	// blocked reader.
	f := os.NewFile(uintptr(fd), "netlink")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, text.Wrap("netlinkraw: dial: ", err, "")
	}
	c := &Conn{
		f:        f,
		rc:       rc,
		portID:   nsa.Pid,
		sem:      make(chan struct{}, 1),
		closed:   make(chan struct{}),
		buf:      make([]byte, initialBufSize),
		batchEst: defaultBatchEst,
	}
	c.mmSlot, c.peekBelow = mmsgSlotSize, noPeekSize
	c.readFn, c.writeFn, c.readManyFn = c.readStep, c.writeStep, c.readManyStep
	// Start sequence numbers somewhere a previous socket with the same
	// port ID is unlikely to have used.
	c.seq.Store(uint32(time.Now().UnixNano()))
	return c, nil
}

// Close closes the socket. It is idempotent and safe to call while another
// goroutine is blocked in an exchange, which then returns an error wrapping
// net.ErrClosed, as do all later calls.
func (c *Conn) Close() error {
	if !c.isDone.CompareAndSwap(false, true) {
		return nil
	}
	close(c.closed)
	if err := c.f.Close(); err != nil {
		return text.Wrap("netlinkraw: close: ", err, "")
	}
	return nil
}

// PortID returns the socket's netlink port ID (nl_pid).
func (c *Conn) PortID() uint32 { return c.portID }

// errClosed builds the error an operation on a closed Conn returns.
func errClosed(op string) error {
	return text.Wrap("netlinkraw: "+op+": ", net.ErrClosed, "")
}

// acquire waits for the Conn's exchange token.
func (c *Conn) acquire(ctx context.Context, op string) error {
	if c.isDone.Load() {
		return errClosed(op)
	}
	if err := ctx.Err(); err != nil {
		return text.Wrap("netlinkraw: "+op+": ", err, "")
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return text.Wrap("netlinkraw: "+op+": ", ctx.Err(), "")
	case <-c.closed:
		return errClosed(op)
	}
	if c.isDone.Load() {
		<-c.sem
		return errClosed(op)
	}
	return nil
}

func (c *Conn) release() { <-c.sem }

// aLongTimeAgo is a deadline in the past that wakes a blocked read at once.
var aLongTimeAgo = time.Unix(1, 0)

// watch arms the read and write deadlines for ctx and returns a function
// that disarms them. Called with the token held.
func (c *Conn) watch(ctx context.Context) (stop func()) {
	if d, ok := ctx.Deadline(); ok {
		c.f.SetDeadline(d)
		c.deadlineSet = true
	} else if c.deadlineSet {
		c.f.SetDeadline(time.Time{})
		c.deadlineSet = false
	}
	if ctx.Done() == nil {
		return func() {}
	}
	fired := make(chan struct{})
	stopAfter := context.AfterFunc(ctx, func() {
		c.f.SetDeadline(aLongTimeAgo)
		close(fired)
	})
	return func() {
		if !stopAfter() {
			<-fired // the deadline was set; the next exchange resets it
			c.deadlineSet = true
		}
	}
}

// wrapIOErr turns a poller error into what callers expect: the context's
// error on cancellation or deadline, net.ErrClosed after Close.
func (c *Conn) wrapIOErr(ctx context.Context, op string, err error) error {
	if c.isDone.Load() {
		return errClosed(op)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		if cerr := ctx.Err(); cerr != nil {
			return text.Wrap("netlinkraw: "+op+": ", cerr, "")
		}
		// The poller's timer may fire just before the context's own.
		if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
			return text.Wrap("netlinkraw: "+op+": ", context.DeadlineExceeded, "")
		}
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return &Error{Op: op, Err: errno}
	}
	return text.Wrap("netlinkraw: "+op+": ", err, "")
}

// send writes one datagram to the kernel. Called with the token held.
func (c *Conn) send(b []byte) error {
	c.io.wbuf = b
	err := c.rc.Write(c.writeFn)
	c.io.wbuf = nil
	c.sendCalls.Add(1)
	if err != nil {
		return err
	}
	return c.io.err
}

// writeStep is the RawConn.Write callback of send.
func (c *Conn) writeStep(fd uintptr) bool {
	_, c.io.err = unix.Write(int(fd), c.io.wbuf)
	return c.io.err != unix.EAGAIN
}

// recv reads one datagram into c.buf and returns it. It reports the
// sender's port ID. With block false it returns (nil, 0, nil) when nothing
// is queued. A datagram larger than c.buf (see noPeekSize) comes back cut,
// with errCut and its real length in c.io.n; c.buf has then grown to hold
// it. Called with the token held.
func (c *Conn) recv(block bool) ([]byte, uint32, error) {
	c.io.block = block
	err := c.rc.Read(c.readFn)
	if err != nil {
		return nil, 0, err
	}
	if c.io.err == unix.EAGAIN {
		return nil, 0, nil
	}
	if c.io.err != nil {
		return nil, 0, c.io.err
	}
	if b := c.buf; c.io.n > len(b) {
		c.buf = make([]byte, grown(c.io.n, len(b)))
		return b, c.io.from, errCut
	}
	return c.buf[:c.io.n], c.io.from, nil
}

// readStep is the RawConn.Read callback of recv.
func (c *Conn) readStep(fd uintptr) bool {
	if len(c.buf) < c.peekBelow {
		// Peek at the datagram's length without consuming it.
		c.recvCalls.Add(1)
		m, _, err := recvfrom(int(fd), nil, unix.MSG_PEEK|unix.MSG_TRUNC)
		c.io.err = err
		if err == unix.EAGAIN {
			return !c.io.block
		}
		if err != nil {
			return true
		}
		if m > len(c.buf) {
			c.buf = make([]byte, max(m, 2*len(c.buf)))
		}
	}
	// MSG_TRUNC: the length returned is the datagram's real length, even
	// when the buffer was too small for it.
	c.recvCalls.Add(1)
	c.io.n, c.io.from, c.io.err = recvfrom(int(fd), c.buf, unix.MSG_TRUNC)
	return c.io.err != unix.EAGAIN || !c.io.block
}

// recvfrom is recvfrom(2) without the allocation of unix.Recvfrom's
// Sockaddr. It returns the length and the sender's port ID.
func recvfrom(fd int, p []byte, flags int) (int, uint32, error) {
	var sa unix.RawSockaddrNetlink
	salen := uint32(unsafe.Sizeof(sa))
	var ptr unsafe.Pointer
	if len(p) > 0 {
		ptr = unsafe.Pointer(&p[0])
	}
	n, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(ptr), uintptr(len(p)), uintptr(flags),
		uintptr(unsafe.Pointer(&sa)), uintptr(unsafe.Pointer(&salen)))
	if e != 0 {
		return 0, 0, e
	}
	return int(n), sa.Pid, nil
}

// prepare fills in the header of the single message in msg.
func (c *Conn) prepare(op string, msg []byte, flags uint16) (uint32, error) {
	h, err := ParseHeader(msg)
	if err != nil {
		return 0, text.Wrap("netlinkraw: "+op+": ", err, "")
	}
	if int(h.Length) != len(msg) && Align(int(h.Length)) != len(msg) {
		return 0, errors.New("netlinkraw: " + op + ": message length field " + text.Itoa(h.Length) + " must match the " + text.Itoa(len(msg)) + " bytes given (one message)")
	}
	seq := c.seq.Add(1)
	binary.NativeEndian.PutUint16(msg[6:8], h.Flags|flags)
	binary.NativeEndian.PutUint32(msg[8:12], seq)
	binary.NativeEndian.PutUint32(msg[12:16], c.portID)
	return seq, nil
}

// Request sends one request message, msg, built with an Encoder, and waits
// for its ACK. It fills in msg's sequence number and port ID and ORs
// FlagRequest|FlagAck into its flags, in place. fn, if not nil, is called
// for each reply message other than the final ACK; the payload it gets
// (the bytes after the netlink header) aliases the receive buffer and is
// valid only during the call. An error from fn is returned once the ACK
// has been read, so that no ACK is left queued. A kernel error comes back
// as *Error. Request must not be used for dumps: see Dump.
//
// The receive buffer (32 KiB to start with) holds any reply most families
// send; a larger one arrives cut, and Request then
// returns an *Error wrapping EMSGSIZE rather than pass over what was lost
// (the kernel's own errno when the cut message was a failing ACK). The
// buffer grows to fit, so a retry gets the whole reply.
func (c *Conn) Request(ctx context.Context, msg []byte, fn func(Header, []byte) error) error {
	const op = "request"
	if err := c.acquire(ctx, op); err != nil {
		return err
	}
	defer c.release()
	if err := c.finishDump(ctx, op); err != nil {
		return err
	}
	seq, err := c.prepare(op, msg, FlagRequest|FlagAck)
	if err != nil {
		return err
	}
	stop := c.watch(ctx)
	defer stop()
	if err := c.send(msg); err != nil {
		return c.wrapIOErr(ctx, op, err)
	}
	_, err = c.run(ctx, &exchange{op: op, seq: seq, port: c.portID, fn: fn})
	return err
}

// run receives datagrams from the kernel and feeds them to x until it is done.
// It reports whether x completed.
func (c *Conn) run(ctx context.Context, x *exchange) (bool, error) {
	lost := false
	for {
		// The deadline set on cancellation arrives asynchronously; a
		// dump whose datagrams are always ready would not notice it.
		if err := ctx.Err(); err != nil {
			return false, text.Wrap("netlinkraw: "+x.op+": ", err, "")
		}
		b, from, err := c.recv(!lost)
		if err == unix.ENOBUFS {
			// The kernel dropped messages for this socket. A dump's own
			// datagrams are made only when there is room for them, but
			// the reply to a request is made while it is sent and may be
			// the one dropped: look at what is queued, without waiting.
			if !x.dump {
				lost = true
			}
			continue
		}
		x.partial = false
		if err == errCut {
			// The messages that arrived whole count; the cut one does
			// not make the datagram malformed.
			err, x.partial = nil, true
			if done, err := x.cutACK(from, b); done {
				return true, err
			}
			if h, ok := firstHeader(b); from == 0 && (!ok || h.Seq == x.seq && h.PortID == x.port) {
				// Part of a reply is lost, maybe its final message.
				// What the kernel sends for a request is queued by the
				// time the request's write returns, and a dump's next
				// datagram is made during the read of the one before:
				// read what is queued, without waiting, and report the
				// loss.
				lost = true
				x.cutFull, x.cutGot = c.io.n, len(b)
			}
		}
		if err != nil {
			return false, c.wrapIOErr(ctx, x.op, err)
		}
		if b == nil { // drained after an overrun or a cut datagram, and no ACK
			if x.cutFull > 0 {
				return true, cutErr(x.op, x.seq, x.cutFull, x.cutGot)
			}
			return true, &Error{Op: x.op, Err: unix.ENOBUFS, Message: errReplyLost, Seq: x.seq}
		}
		if from != 0 {
			continue // not from the kernel
		}
		if done, err := x.feed(b); done {
			if err == nil && x.cutFull > 0 {
				err = cutErr(x.op, x.seq, x.cutFull, x.cutGot)
			}
			return true, err
		}
	}
}

// finishDump reads the rest of a dump an earlier Dump abandoned (its
// context ended): the kernel runs one dump per socket at a time and answers
// a new one with EBUSY until the old one has been read to its end.
// Called with the token held.
func (c *Conn) finishDump(ctx context.Context, op string) error {
	if !c.dumpPending {
		return nil
	}
	stop := c.watch(ctx)
	defer stop()
	done, err := c.run(ctx, &exchange{op: op, seq: c.dumpSeq, port: c.portID, dump: true})
	if done {
		c.dumpPending = false
		return nil // the old dump's own result does not matter
	}
	return err
}

// Dump sends msg with FlagRequest|FlagDump (and FlagAck, which the kernel
// ignores for dumps) and calls fn for each message of the multipart reply
// until NLMSG_DONE. The payload fn gets aliases the receive buffer and is
// valid only during the call; nothing is copied. An error carried in
// NLMSG_DONE or an NLMSG_ERROR comes back as *Error. If any message carried
// NLM_F_DUMP_INTR, Dump returns an error wrapping ErrDumpInterrupted once
// the dump is complete. An error from fn stops the calls to fn; Dump still
// reads the rest of the dump, so nothing is left queued, and returns it.
// A datagram larger than the receive buffer, which only a family that
// asks for dump buffers over 32 KiB sends, fails the dump with an *Error
// wrapping EMSGSIZE; the buffer grows to fit, so a retry works.
func (c *Conn) Dump(ctx context.Context, msg []byte, fn func(Header, []byte) error) error {
	const op = "dump"
	if err := c.acquire(ctx, op); err != nil {
		return err
	}
	defer c.release()
	if err := c.finishDump(ctx, op); err != nil {
		return err
	}
	seq, err := c.prepare(op, msg, FlagRequest|FlagDump|FlagAck)
	if err != nil {
		return err
	}
	stop := c.watch(ctx)
	defer stop()
	if err := c.send(msg); err != nil {
		return c.wrapIOErr(ctx, op, err)
	}
	done, err := c.run(ctx, &exchange{op: op, seq: seq, port: c.portID, dump: true, fn: fn})
	if !done {
		c.dumpPending, c.dumpSeq = true, seq
	}
	return err
}

// Receive waits for the next datagram, such as a multicast event, and
// calls fn for each message in it, stopping at the first error fn returns.
// The payload fn gets aliases the receive buffer and is valid only during
// the call. When the kernel dropped messages because the receive buffer was
// full, Receive returns an error wrapping ErrEventsLost (and ENOBUFS); the
// socket stays usable. A datagram larger than the receive buffer is cut:
// fn gets the messages that arrived whole, and Receive returns an error
// wrapping ErrEventsLost and EMSGSIZE; the buffer grows to fit.
func (c *Conn) Receive(ctx context.Context, fn func(Header, []byte) error) error {
	const op = "receive"
	if err := c.acquire(ctx, op); err != nil {
		return err
	}
	defer c.release()
	if err := c.finishDump(ctx, op); err != nil {
		return err
	}
	stop := c.watch(ctx)
	defer stop()
	b, _, err := c.recv(true)
	cut := err == errCut
	if err != nil && !cut {
		if err == unix.ENOBUFS {
			return eventsLost(op)
		}
		return c.wrapIOErr(ctx, op, err)
	}
	var d MessageDecoder
	d.Reset(b)
	for d.Next() {
		if fn != nil {
			if err := fn(d.Header(), d.Payload()); err != nil {
				return err
			}
		}
	}
	if cut {
		// The messages that arrived whole were delivered; the rest of
		// the datagram is lost.
		return eventsCut(op, c.io.n, len(b))
	}
	if err := d.Err(); err != nil {
		return text.Wrap("netlinkraw: "+op+": ", err, "")
	}
	return nil
}

// JoinGroup joins the multicast group id.
func (c *Conn) JoinGroup(id uint32) error {
	return c.membership("join group", unix.NETLINK_ADD_MEMBERSHIP, id)
}

// LeaveGroup leaves the multicast group id.
func (c *Conn) LeaveGroup(id uint32) error {
	return c.membership("leave group", unix.NETLINK_DROP_MEMBERSHIP, id)
}

func (c *Conn) membership(op string, opt int, id uint32) error {
	if c.isDone.Load() {
		return errClosed(op)
	}
	var serr error
	err := c.rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_NETLINK, opt, int(id))
	})
	if err != nil {
		if c.isDone.Load() {
			return errClosed(op)
		}
		return text.Wrap("netlinkraw: "+op+" "+text.Itoa(id)+": ", err, "")
	}
	if serr != nil {
		return &Error{Op: op + " " + text.Itoa(id), Err: serr}
	}
	return nil
}
