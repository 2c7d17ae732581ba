package l2tp

import (
	"errors"
	"net"
	"strconv"
	"syscall"

	"github.com/nl2tp/nl2tp/internal/text"
	"github.com/nl2tp/nl2tp/netlinkraw"
)

// ErrNotFound reports a tunnel or session that does not exist. The kernel
// says so with ENODEV (not ENOENT), which stays reachable through
// errors.Is and errors.As as well.
var ErrNotFound = errors.New("l2tp: not found")

// ErrInvalid is matched (with errors.Is) by every error from the checks this
// package makes before it sends anything to the kernel.
var ErrInvalid = errors.New("l2tp: invalid argument")

// invalidError is a validation failure: "l2tp: <object>: <rule>".
type invalidError struct{ msg string }

func (e *invalidError) Error() string        { return "l2tp: " + e.msg }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

func invalid(msg string) error { return &invalidError{msg: msg} }

// opError is a failure of an operation, with the meaning this package adds
// (kind: ErrNotFound or errors.ErrUnsupported) and an explanation, wrapping
// the error netlinkraw returned (usually a *netlinkraw.Error carrying the
// errno and the extended-ACK text).
type opError struct {
	op   string // "create session 7 in tunnel 5"
	why  string // "tunnel 5 not found", or empty
	kind error  // ErrNotFound, errors.ErrUnsupported, or nil
	err  error

	decoding bool // a malformed message, not a failed exchange
}

func (e *opError) Error() string {
	s := "l2tp: " + e.op
	if e.why != "" {
		s += ": " + e.why
	}
	return s + ": " + e.err.Error()
}

func (e *opError) Unwrap() []error {
	if e.kind != nil {
		return []error{e.kind, e.err}
	}
	return []error{e.err}
}

// errClosed is returned by calls on a closed Conn.
func errClosed(op string) error {
	return &opError{op: op, err: net.ErrClosed}
}

// kernelErrno returns the errno of a kernel error, or 0.
func kernelErrno(err error) syscall.Errno {
	var ne *netlinkraw.Error
	if errors.As(err, &ne) {
		var errno syscall.Errno
		if errors.As(ne.Err, &errno) {
			return errno
		}
	}
	return 0
}

// object names what an operation is about, for error messages.
type object struct {
	tunnel  uint32
	session uint32
	ifname  string
	isSess  bool

	// What an object being created is, to explain EPROTONOSUPPORT.
	pw      PseudowireType
	encap   EncapType
	ipv6    bool
	managed bool
}

func (o object) String() string {
	switch {
	case !o.isSess:
		return "tunnel " + text.Itoa(o.tunnel)
	case o.ifname != "" && o.tunnel == 0:
		return "session " + strconv.Quote(o.ifname)
	default:
		return "session " + text.Itoa(o.session) + " in tunnel " + text.Itoa(o.tunnel)
	}
}

func tunnelObj(id uint32) object { return object{tunnel: id} }

func tunnelCreateObj(t *Tunnel, managed bool) object {
	return object{tunnel: t.ID, encap: t.Encap, ipv6: t.Local.Is6(), managed: managed}
}

func sessionObj(tunnelID, id uint32, ifname string) object {
	return object{tunnel: tunnelID, session: id, ifname: ifname, isSess: true}
}

func sessionCreateObj(s *Session) object {
	return object{tunnel: s.TunnelID, session: s.ID, isSess: true, pw: s.Pseudowire}
}

// wrapErr maps a kernel error for verb (create, delete, modify, get) on o.
func wrapErr(verb string, o object, err error) error {
	if err == nil {
		return nil
	}
	e := &opError{op: verb + " " + o.String(), err: err}
	switch kernelErrno(err) {
	case syscall.ENODEV:
		e.kind = ErrNotFound
		switch {
		case verb == "create" && o.isSess:
			e.why = "tunnel " + text.Itoa(o.tunnel) + " not found"
		case o.isSess:
			e.why = "session or its tunnel not found"
		default:
			e.why = "tunnel not found"
		}
	case syscall.EEXIST:
		if verb == "create" {
			if o.isSess {
				e.why = "session ID or interface name already in use"
			} else {
				e.why = "tunnel ID already in use in this network namespace (a tunnel being deleted can hold it briefly)"
			}
		}
	case syscall.EPROTONOSUPPORT:
		if verb == "create" && o.isSess {
			e.kind = errors.ErrUnsupported
			switch o.pw {
			case PseudowireEth:
				e.why = "pseudowire eth needs the l2tp_eth kernel module, which is not loaded or not built"
			case PseudowirePPP:
				e.why = "pseudowire ppp needs the l2tp_ppp kernel module, which is not loaded or not built"
			default:
				e.why = "the kernel does not implement pseudowire " + o.pw.String() + " (it has only eth, in l2tp_eth, and ppp, in l2tp_ppp)"
			}
		} else if verb == "create" && o.managed {
			e.why = "unsuitable tunnel socket (it must be a bound and connected UDP or IPPROTO_L2TP datagram socket of the tunnel's encapsulation)"
		} else if verb == "create" && o.encap == EncapIP {
			e.kind = errors.ErrUnsupported
			if o.ipv6 {
				e.why = "IP encapsulation over IPv6 needs the l2tp_ip6 kernel module, which is not loaded or not built"
			} else {
				e.why = "IP encapsulation needs the l2tp_ip kernel module, which is not loaded or not built"
			}
		}
	case syscall.EBUSY:
		if verb == "create" && !o.isSess {
			e.why = "the socket already carries a tunnel"
		}
	case syscall.EPERM:
		e.why = "needs CAP_NET_ADMIN in the network namespace's user namespace"
	}
	return e
}
