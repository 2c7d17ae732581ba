package netlinkraw

import (
	"encoding/binary"
	"errors"
	"strconv"
	"syscall"

	"github.com/nl2tp/nl2tp/internal/text"
)

// ErrEventsLost reports that the kernel dropped messages for this socket
// because its receive buffer was full (ENOBUFS). On a multicast socket it
// means events were lost: the caller should resynchronise its state, for
// example with a dump. The socket stays usable. Errors returned for it
// satisfy errors.Is(err, ErrEventsLost) and errors.Is(err, syscall.ENOBUFS).
var ErrEventsLost = errors.New("netlinkraw: events lost: receive buffer overrun")

// ErrDumpInterrupted reports a dump whose messages carried NLM_F_DUMP_INTR:
// the kernel's data changed during the dump, so what the caller saw may be
// inconsistent and the dump should be repeated.
var ErrDumpInterrupted = errors.New("netlinkraw: dump interrupted: data changed during the dump")

// Error is an error reported by the kernel in an NLMSG_ERROR or NLMSG_DONE
// message, or a socket errno met during an exchange.
//
// It unwraps to the errno, so errors.Is(err, unix.EEXIST) and
// errors.Is(err, fs.ErrExist) both hold for a kernel EEXIST.
type Error struct {
	Op      string // "request", "dump", "batch", "receive", "resolve family", ...
	Err     error  // the errno, a syscall.Errno
	Message string // the extended-ACK message (NLMSGERR_ATTR_MSG), if any
	Offset  uint32 // the extended-ACK offset (NLMSGERR_ATTR_OFFS) of the bad attribute in the request, if any
	Seq     uint32 // the sequence number of the request
}

// Error returns "netlinkraw: <op>: <errno text>[: <ext-ack message>][ (offset N)]".
func (e *Error) Error() string {
	s := "netlinkraw: " + e.Op + ": "
	if e.Err != nil {
		s += e.Err.Error()
	} else {
		s += "unknown error"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Offset != 0 {
		s += " (offset " + strconv.FormatUint(uint64(e.Offset), 10) + ")"
	}
	return s
}

// Unwrap returns the errno.
func (e *Error) Unwrap() error { return e.Err }

// Attributes of an extended ACK (enum nlmsgerr_attrs).
const (
	nlmsgerrAttrMsg  = 1
	nlmsgerrAttrOffs = 2
)

// ackInfo is what an NLMSG_ERROR or NLMSG_DONE message says.
type ackInfo struct {
	errno   int32 // negative errno as the kernel sends it, 0 for an ACK
	message []byte
	offset  uint32
}

// parseError decodes the payload of an NLMSG_ERROR message (struct nlmsgerr,
// then the extended-ACK attributes if flags has FlagAckTLVs).
func parseError(flags uint16, payload []byte) (ackInfo, error) {
	if len(payload) < 4 {
		return ackInfo{}, text.Wrap("", ErrTruncated, ": error message needs 4 bytes for its errno, have "+text.Itoa(len(payload)))
	}
	a := ackInfo{errno: int32(binary.NativeEndian.Uint32(payload))}
	if flags&FlagAckTLVs == 0 {
		return a, nil
	}
	// The echoed request header follows the errno; the whole request
	// follows it unless the kernel capped the ACK.
	if len(payload) < 4+HeaderLen {
		return a, text.Wrap("", ErrTruncated, ": error message needs "+text.Itoa(4+HeaderLen)+" bytes for the echoed header, have "+text.Itoa(len(payload)))
	}
	tlv := 4 + HeaderLen
	if flags&FlagCapped == 0 {
		inner := binary.NativeEndian.Uint32(payload[4:8])
		if inner < HeaderLen || uint64(4)+uint64(inner) > uint64(len(payload)) {
			return a, errors.New("netlinkraw: error message: echoed request length " + text.Itoa(inner) + " does not fit in " + text.Itoa(len(payload)-4) + " bytes")
		}
		tlv = min(Align(4+int(inner)), len(payload))
	}
	return a, a.parseTLVs(payload[tlv:])
}

// parseDone decodes the payload of an NLMSG_DONE message: an int errno,
// then the extended-ACK attributes if flags has FlagAckTLVs. An empty
// payload, as a few old families send, means success.
func parseDone(flags uint16, payload []byte) (ackInfo, error) {
	if len(payload) < 4 {
		return ackInfo{}, nil
	}
	a := ackInfo{errno: int32(binary.NativeEndian.Uint32(payload))}
	if flags&FlagAckTLVs == 0 {
		return a, nil
	}
	return a, a.parseTLVs(payload[4:])
}

func (a *ackInfo) parseTLVs(b []byte) error {
	d := NewAttrDecoder(b)
	for d.Next() {
		switch d.Type() {
		case nlmsgerrAttrMsg:
			a.message = d.StringBytes()
		case nlmsgerrAttrOffs:
			if d.Len() == 4 {
				a.offset = d.Uint32()
			}
		}
	}
	return d.Err()
}

// err returns the *Error for a non-zero errno, or nil.
func (a ackInfo) err(op string, seq uint32) error {
	if a.errno == 0 {
		return nil
	}
	errno := a.errno
	if errno < 0 {
		errno = -errno
	}
	return &Error{Op: op, Err: syscall.Errno(errno), Message: string(a.message), Offset: a.offset, Seq: seq}
}
