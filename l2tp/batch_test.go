package l2tp

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"testing"
)

func TestCreateTunnels(t *testing.T) {
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	tn := func(id uint32) Tunnel {
		return Tunnel{ID: id, PeerID: id + 100, Version: 3, Encap: EncapIP, Local: a, Remote: b}
	}
	create := func(id uint32) call {
		return req(cmdTunnelCreate, aU32(attrConnID, id), aU32(attrPeerConnID, id+100), aU8(attrProtoVersion, 3),
			aU16(attrEncapType, 1), aBytes(attrIPSaddr, 192, 0, 2, 1), aBytes(attrIPDaddr, 192, 0, 2, 2))
	}
	bad := tn(2)
	bad.Version = 9
	// Item 1 fails validation and is not sent; the kernel fails item 2.
	c, _, _ := newTestConn(t, batch([]error{nil, kerr("batch", syscall.EEXIST, ""), nil}, create(1), create(3), create(4)))
	res, err := c.CreateTunnels(ctx, []Tunnel{tn(1), bad, tn(3), tn(4)})
	if err != nil {
		t.Fatalf("CreateTunnels: %v", err)
	}
	if len(res) != 4 {
		t.Fatalf("got %d results, want 4", len(res))
	}
	if res[0] != nil || res[3] != nil {
		t.Errorf("results 0 and 3: got %v, %v; want nil", res[0], res[3])
	}
	if !errors.Is(res[1], ErrInvalid) {
		t.Errorf("result 1: got %v, want ErrInvalid", res[1])
	}
	if !errors.Is(res[2], fs.ErrExist) || !strings.HasPrefix(res[2].Error(), "l2tp: create tunnel 3: tunnel ID already in use") {
		t.Errorf("result 2: got %v, want EEXIST for tunnel 3", res[2])
	}
}

func TestDeleteTunnels(t *testing.T) {
	c, _, _ := newTestConn(t, batch([]error{kerr("batch", syscall.ENODEV, ""), nil},
		req(cmdTunnelDelete, aU32(attrConnID, 1)), req(cmdTunnelDelete, aU32(attrConnID, 2))))
	res, err := c.DeleteTunnels(ctx, []uint32{1, 0, 2})
	if err != nil {
		t.Fatalf("DeleteTunnels: %v", err)
	}
	if !errors.Is(res[0], ErrNotFound) || !errors.Is(res[1], ErrInvalid) || res[2] != nil {
		t.Errorf("got %v, want [ErrNotFound ErrInvalid nil]", res)
	}
}

func TestCreateSessions(t *testing.T) {
	s := func(tid, id uint32, pw PseudowireType) Session {
		return Session{TunnelID: tid, ID: id, PeerID: id + 100, Pseudowire: pw}
	}
	create := func(tid, id uint32, v3 bool) call {
		as := []fakeAttr{aU32(attrConnID, tid), aU32(attrSessionID, id), aU32(attrPeerSessionID, id+100)}
		if v3 {
			as = append(as, aU16(attrPWType, 5), aU8(attrL2SpecType, 0))
		} else {
			as = append(as, aU16(attrPWType, 7))
		}
		return req(cmdSessionCreate, as...)
	}
	c, _, _ := newTestConn(t,
		// Each distinct tunnel is looked up once.
		req(cmdTunnelGet, aU32(attrConnID, 5)).reply(tunnelVReply(5, 3)),
		req(cmdTunnelGet, aU32(attrConnID, 6)).fail(syscall.ENODEV, ""),
		req(cmdTunnelGet, aU32(attrConnID, 2)).reply(tunnelVReply(2, 2)),
		batch([]error{nil, kerr("batch", syscall.EPROTONOSUPPORT, ""), nil},
			create(5, 1, true), create(5, 2, true), create(2, 4, false)),
	)
	res, err := c.CreateSessions(ctx, []Session{
		s(5, 1, PseudowireEth),
		s(6, 1, PseudowireEth), // missing tunnel
		s(5, 2, PseudowireEth), // module missing
		s(6, 2, PseudowireEth), // missing tunnel, not looked up again
		s(2, 3, PseudowireEth), // Ethernet on L2TPv2
		s(2, 4, PseudowirePPP),
		s(0, 5, PseudowireEth), // invalid
	})
	if err != nil {
		t.Fatalf("CreateSessions: %v", err)
	}
	checks := []struct {
		target error
	}{{nil}, {ErrNotFound}, {errors.ErrUnsupported}, {ErrNotFound}, {ErrInvalid}, {nil}, {ErrInvalid}}
	for i, c := range checks {
		if c.target == nil && res[i] != nil || c.target != nil && !errors.Is(res[i], c.target) {
			t.Errorf("result %d: got %v, want %v", i, res[i], c.target)
		}
	}
	if want := "l2tp: create session 1 in tunnel 6: tunnel 6 not found: netlinkraw: request: no such device"; res[1] == nil || res[1].Error() != want {
		t.Errorf("result 1: got %v, want %q", res[1], want)
	}
}

func TestDeleteSessions(t *testing.T) {
	c, _, _ := newTestConn(t, batch([]error{nil, kerr("batch", syscall.ENODEV, "")},
		req(cmdSessionDelete, aU32(attrConnID, 5), aU32(attrSessionID, 7)),
		req(cmdSessionDelete, aStr(attrIfname, "l2tpeth9"))))
	res, err := c.DeleteSessions(ctx, []Session{{TunnelID: 5, ID: 7, InterfaceName: "ignored"}, {InterfaceName: "l2tpeth9"}, {}})
	if err != nil {
		t.Fatalf("DeleteSessions: %v", err)
	}
	if res[0] != nil || !errors.Is(res[1], ErrNotFound) || !errors.Is(res[2], ErrInvalid) {
		t.Errorf("got %v, want [nil ErrNotFound ErrInvalid]", res)
	}
}

func TestBatchEmpty(t *testing.T) {
	c, k, _ := newTestConn(t)
	res, err := c.DeleteTunnels(ctx, nil)
	if err != nil || len(res) != 0 {
		t.Errorf("DeleteTunnels(nil): %v, %v", res, err)
	}
	res, err = c.DeleteTunnels(ctx, []uint32{0})
	if err != nil || !errors.Is(res[0], ErrInvalid) {
		t.Errorf("DeleteTunnels([0]): %v, %v", res, err)
	}
	if k.calls != 0 {
		t.Errorf("%d exchanges for batches with nothing to send", k.calls)
	}
}

// cutTransport answers the first message of a batch, then fails as a
// closed socket does, leaving the rest to the transport error.
type cutTransport struct{ *fakeKernel }

func (cutTransport) Batch(_ context.Context, msgs []byte) ([]error, error) {
	raw, _ := splitMsgs(msgs)
	err := fmt.Errorf("netlinkraw: batch: %w", net.ErrClosed)
	res := make([]error, len(raw))
	for i := 1; i < len(res); i++ {
		res[i] = err
	}
	return res, err
}

func TestBatchTransportError(t *testing.T) {
	k := newFake(t)
	c := newConn(cutTransport{k}, testFamily, testGroup, nil)
	res, err := c.DeleteTunnels(ctx, []uint32{1, 2, 3})
	if !errors.Is(err, net.ErrClosed) {
		t.Fatalf("DeleteTunnels: got %v, want net.ErrClosed", err)
	}
	if res[0] != nil || !errors.Is(res[1], net.ErrClosed) || !errors.Is(res[2], net.ErrClosed) {
		t.Errorf("got %v, want [nil, closed, closed]", res)
	}
}
