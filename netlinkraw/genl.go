package netlinkraw

import (
	"errors"
	"strings"

	"github.com/nl2tp/nl2tp/internal/text"
)

// Family describes a generic netlink family as the controller (nlctrl)
// reports it.
type Family struct {
	ID         uint16
	Name       string
	Version    uint8
	HeaderSize uint32
	MaxAttr    uint32
	Groups     []MulticastGroup
}

// MulticastGroup is a multicast group of a generic netlink family.
type MulticastGroup struct {
	Name string
	ID   uint32
}

// Generic netlink controller constants (linux/genetlink.h).
const (
	GenlIDCtrl = 0x10 // GENL_ID_CTRL, the nlctrl family

	ctrlCmdNewFamily = 1
	ctrlCmdGetFamily = 3

	ctrlAttrFamilyID    = 1
	ctrlAttrFamilyName  = 2
	ctrlAttrVersion     = 3
	ctrlAttrHdrSize     = 4
	ctrlAttrMaxAttr     = 5
	ctrlAttrMcastGroups = 7

	ctrlAttrMcastGrpName = 1
	ctrlAttrMcastGrpID   = 2

	ctrlVersion = 2
)

// AppendGetFamily appends a CTRL_CMD_GETFAMILY request for the family called
// name to b. Sequence number and port ID are left zero for the Conn to fill.
func AppendGetFamily(b []byte, name string) []byte {
	var e Encoder
	e.ResetAppend(b)
	m := e.BeginMessage(GenlIDCtrl, FlagRequest, 0, 0)
	e.GenlHeader(ctrlCmdGetFamily, ctrlVersion)
	e.String(ctrlAttrFamilyName, name)
	e.EndMessage(m)
	out, err := e.Encoded()
	if err != nil {
		return b // a name too long for an attribute leaves b as it was
	}
	return out
}

// ParseFamily decodes a CTRL_CMD_NEWFAMILY message payload (after the
// netlink header).
func ParseFamily(payload []byte) (Family, error) {
	gh, attrs, err := ParseGenlHeader(payload)
	if err != nil {
		return Family{}, err
	}
	if gh.Command != ctrlCmdNewFamily {
		return Family{}, errors.New("netlinkraw: family reply: command must be CTRL_CMD_NEWFAMILY (" + text.Itoa(ctrlCmdNewFamily) + "), got " + text.Itoa(gh.Command))
	}
	var f Family
	d := NewAttrDecoder(attrs)
	for d.Next() {
		switch d.Type() {
		case ctrlAttrFamilyID:
			f.ID = d.Uint16()
		case ctrlAttrFamilyName:
			f.Name = d.String()
		case ctrlAttrVersion:
			v := d.Uint32()
			if v > 0xff {
				d.Fail(errors.New("version must fit in 8 bits, got " + text.Itoa(v)))
			}
			f.Version = uint8(v)
		case ctrlAttrHdrSize:
			f.HeaderSize = d.Uint32()
		case ctrlAttrMaxAttr:
			f.MaxAttr = d.Uint32()
		case ctrlAttrMcastGroups:
			groups := d.Nested()
			for groups.Next() {
				var g MulticastGroup
				gd := groups.Nested()
				for gd.Next() {
					switch gd.Type() {
					case ctrlAttrMcastGrpName:
						g.Name = gd.String()
					case ctrlAttrMcastGrpID:
						g.ID = gd.Uint32()
					}
				}
				groups.Fail(gd.Err())
				f.Groups = append(f.Groups, g)
			}
			d.Fail(groups.Err())
		}
	}
	if err := d.Err(); err != nil {
		// Decoder errors carry the package prefix already.
		if strings.HasPrefix(err.Error(), "netlinkraw: ") {
			return Family{}, err
		}
		return Family{}, text.Wrap("netlinkraw: family reply: ", err, "")
	}
	if f.ID == 0 {
		return Family{}, errors.New("netlinkraw: family reply: CTRL_ATTR_FAMILY_ID missing")
	}
	return f, nil
}
