package l2tp

import (
	"context"

	"github.com/nl2tp/nl2tp/netlinkraw"
)

// The batch calls send many requests in as few system calls as the socket
// buffers allow, and return one result per item, in order: nil for success,
// or that item's error, mapped as for the single-item calls. An item that
// fails validation is not sent; the others are. The second result is an
// error that stopped the batch (a closed Conn, a cancelled context, a
// failed send); the items it left unanswered carry it too. Unlike
// CreateTunnel and CreateSession, the batch calls do not read the created
// objects back.

// CreateTunnels creates static tunnels.
func (c *Conn) CreateTunnels(ctx context.Context, ts []Tunnel) ([]error, error) {
	results := make([]error, len(ts))
	for i := range ts {
		results[i] = validateTunnel(&ts[i], false)
	}
	return c.batch(ctx, "create tunnels", len(ts), results, func(e *netlinkraw.Encoder, i int) {
		encodeTunnelCreate(e, c.family, &ts[i], -1)
	}, func(i int, err error) error {
		return wrapErr("create", tunnelCreateObj(&ts[i], false), err)
	})
}

// DeleteTunnels deletes tunnels by ID.
func (c *Conn) DeleteTunnels(ctx context.Context, ids []uint32) ([]error, error) {
	results := make([]error, len(ids))
	for i, id := range ids {
		if id == 0 {
			results[i] = invalid("tunnel: ID must not be zero")
		}
	}
	return c.batch(ctx, "delete tunnels", len(ids), results, func(e *netlinkraw.Encoder, i int) {
		encodeTunnelID(e, c.family, cmdTunnelDelete, ids[i])
	}, func(i int, err error) error {
		return wrapErr("delete", tunnelObj(ids[i]), err)
	})
}

// CreateSessions creates sessions. It first gets each distinct parent
// tunnel once, to check the sessions against its L2TP version; the
// sessions of a missing tunnel fail with an error matching ErrNotFound.
func (c *Conn) CreateSessions(ctx context.Context, ss []Session) ([]error, error) {
	results := make([]error, len(ss))
	versions := make(map[uint32]uint8)
	tunnelErrs := make(map[uint32]error)
	for i := range ss {
		s := &ss[i]
		if results[i] = validateSession(s, 0); results[i] != nil {
			continue
		}
		v, ok := versions[s.TunnelID]
		if !ok {
			if err, failed := tunnelErrs[s.TunnelID]; failed {
				results[i] = c.createSessionLookupErr(s, err)
				continue
			}
			var err error
			v, err = c.tunnelVersion(ctx, s.TunnelID)
			if err != nil {
				if kernelErrno(err) == 0 {
					// Not about this tunnel: the Conn is closed, the
					// context done, or the like.
					for k := i; k < len(ss); k++ {
						if results[k] == nil {
							results[k] = err
						}
					}
					return results, err
				}
				tunnelErrs[s.TunnelID] = err
				results[i] = c.createSessionLookupErr(s, err)
				continue
			}
			versions[s.TunnelID] = v
		}
		results[i] = validateSession(s, v)
	}
	return c.batch(ctx, "create sessions", len(ss), results, func(e *netlinkraw.Encoder, i int) {
		encodeSessionCreate(e, c.family, &ss[i], versions[ss[i].TunnelID])
	}, func(i int, err error) error {
		return wrapErr("create", sessionCreateObj(&ss[i]), err)
	})
}

func (c *Conn) createSessionLookupErr(s *Session, err error) error {
	return wrapErr("create", sessionCreateObj(s), unwrapOp(err))
}

// DeleteSessions deletes sessions, each found by its TunnelID and ID when
// both are set, else by its InterfaceName; other fields are ignored.
func (c *Conn) DeleteSessions(ctx context.Context, ss []Session) ([]error, error) {
	results := make([]error, len(ss))
	ifnames := make([]string, len(ss))
	for i, s := range ss {
		if s.TunnelID == 0 && s.ID == 0 {
			ifnames[i] = s.InterfaceName
		}
		results[i] = checkSessionRef(s.TunnelID, s.ID, ifnames[i])
	}
	return c.batch(ctx, "delete sessions", len(ss), results, func(e *netlinkraw.Encoder, i int) {
		encodeSessionRef(e, c.family, cmdSessionDelete, ss[i].TunnelID, ss[i].ID, ifnames[i])
	}, func(i int, err error) error {
		return wrapErr("delete", sessionObj(ss[i].TunnelID, ss[i].ID, ifnames[i]), err)
	})
}
