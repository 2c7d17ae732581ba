package l2tp

//go:generate go run ../gen -header /usr/include/linux/l2tp.h -out .
