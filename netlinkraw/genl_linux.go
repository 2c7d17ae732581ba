package netlinkraw

import (
	"context"
	"errors"
	"strconv"
	"syscall"

	"github.com/nl2tp/nl2tp/internal/text"
)

// ResolveFamily asks the generic netlink controller for the family called
// name. c must be a NETLINK_GENERIC Conn. An unknown family comes back as an
// *Error wrapping ENOENT.
func (c *Conn) ResolveFamily(ctx context.Context, name string) (Family, error) {
	var buf [64]byte
	msg := AppendGetFamily(buf[:0], name)
	if len(msg) == 0 {
		return Family{}, errors.New("netlinkraw: resolve family: name of " + text.Itoa(len(name)) + " bytes is too long for an attribute")
	}
	var (
		f     Family
		found bool
	)
	err := c.Request(ctx, msg, func(h Header, payload []byte) error {
		if h.Type != GenlIDCtrl {
			return nil
		}
		fam, err := ParseFamily(payload)
		if err != nil {
			return err
		}
		f, found = fam, true
		return nil
	})
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Op == "request" {
			e.Op = "resolve family " + strconv.Quote(name)
		}
		return Family{}, err
	}
	if !found {
		return Family{}, errors.New("netlinkraw: resolve family " + strconv.Quote(name) + ": the controller sent no family in its reply")
	}
	return f, nil
}

// JoinGroupByName joins the multicast group called group of the generic
// netlink family called family. c must be a NETLINK_GENERIC Conn. An
// unknown family or group comes back as an *Error wrapping ENOENT.
func (c *Conn) JoinGroupByName(ctx context.Context, family, group string) error {
	id, err := c.groupID(ctx, family, group)
	if err != nil {
		return err
	}
	return c.JoinGroup(id)
}

// LeaveGroupByName leaves the multicast group called group of the generic
// netlink family called family.
func (c *Conn) LeaveGroupByName(ctx context.Context, family, group string) error {
	id, err := c.groupID(ctx, family, group)
	if err != nil {
		return err
	}
	return c.LeaveGroup(id)
}

func (c *Conn) groupID(ctx context.Context, family, group string) (uint32, error) {
	f, err := c.ResolveFamily(ctx, family)
	if err != nil {
		return 0, err
	}
	for _, g := range f.Groups {
		if g.Name == group {
			return g.ID, nil
		}
	}
	return 0, &Error{Op: "family " + strconv.Quote(family) + ": multicast group " + strconv.Quote(group), Err: syscall.ENOENT,
		Message: "no such multicast group"}
}
