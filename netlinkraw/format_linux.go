package netlinkraw

import (
	"github.com/nl2tp/nl2tp/internal/text"
	"golang.org/x/sys/unix"
)

// eventsLost is fmt.Errorf("%w: %w", ErrEventsLost, &Error{Op: op, Err: ENOBUFS}).
func eventsLost(op string) error {
	e := &Error{Op: op, Err: unix.ENOBUFS}
	return text.Wrap2(ErrEventsLost, ": ", e)
}

// sockaddrType names the type of sa as %T does, for the address types a
// socket can have; getsockname on a netlink socket gives a netlink one.
func sockaddrType(sa unix.Sockaddr) string {
	switch sa.(type) {
	case nil:
		return "<nil>"
	case *unix.SockaddrNetlink:
		return "*unix.SockaddrNetlink"
	case *unix.SockaddrInet4:
		return "*unix.SockaddrInet4"
	case *unix.SockaddrInet6:
		return "*unix.SockaddrInet6"
	case *unix.SockaddrUnix:
		return "*unix.SockaddrUnix"
	case *unix.SockaddrLinklayer:
		return "*unix.SockaddrLinklayer"
	}
	return "a unix.Sockaddr of another family"
}
