package l2tp

import (
	"context"
	"errors"
	"syscall"

	"github.com/nl2tp/nl2tp/internal/text"
	"github.com/nl2tp/nl2tp/netlinkraw"
)

// Dial opens a connection to the kernel's L2TP generic netlink family. A
// nil cfg means defaults.
//
// Resolving the family loads the l2tp_netlink module where the kernel can
// load modules. When the family is missing, the error matches
// errors.ErrUnsupported, and the kernel's errno (ENOENT) stays reachable.
func Dial(cfg *Config) (*Conn, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	nlcfg := netlinkraw.Config{
		NetNS:             cfg.NetNS,
		NetNSPath:         cfg.NetNSPath,
		ReceiveBufferSize: cfg.ReceiveBufferSize,
	}
	nc, err := netlinkraw.Dial(syscall.NETLINK_GENERIC, &nlcfg)
	if err != nil {
		return nil, text.Wrap("l2tp: dial: ", err, "")
	}
	fam, err := nc.ResolveFamily(context.Background(), genlFamilyName)
	if err != nil {
		nc.Close()
		if errors.Is(err, syscall.ENOENT) {
			return nil, &opError{op: "dial", kind: errors.ErrUnsupported,
				why: "the kernel has no \"l2tp\" generic netlink family: load the l2tp_netlink kernel module", err: err}
		}
		return nil, &opError{op: "dial", why: "resolving the \"l2tp\" generic netlink family", err: err}
	}
	var group uint32
	for _, g := range fam.Groups {
		if g.Name == genlMulticastGroup {
			group = g.ID
		}
	}
	// Event sockets open in the same namespace. A namespace given by
	// descriptor is duplicated, so the caller may close theirs.
	evcfg := nlcfg
	var nsfd int
	if cfg.NetNS != 0 {
		nsfd, err = dupCloexec(cfg.NetNS)
		if err != nil {
			nc.Close()
			return nil, text.Wrap("l2tp: dial: network namespace: ", err, "")
		}
		evcfg.NetNS = nsfd
	}
	var dialEvents func() (transport, error)
	if group != 0 {
		evcfg.Groups = []uint32{group}
		dialEvents = func() (transport, error) {
			ec, err := netlinkraw.Dial(syscall.NETLINK_GENERIC, &evcfg)
			if err != nil {
				return nil, err
			}
			return ec, nil
		}
	}
	c := newConn(&nsTransport{transport: nc, nsfd: nsfd}, fam.ID, group, dialEvents)
	return c, nil
}

// nsTransport closes the duplicated namespace descriptor with the socket.
type nsTransport struct {
	transport
	nsfd int
}

func (t *nsTransport) Close() error {
	err := t.transport.Close()
	if t.nsfd > 0 {
		syscall.Close(t.nsfd)
		t.nsfd = 0
	}
	return err
}

func dupCloexec(fd int) (int, error) {
	r, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_DUPFD_CLOEXEC, 0)
	if errno != 0 {
		return -1, errno
	}
	return int(r), nil
}
