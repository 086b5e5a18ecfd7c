// Shim so SwiftPM can import the system's <protobuf-c/protobuf-c.h> as the module CProtobufC.
#ifndef BATON_CPROTOBUFC_SHIM_H
#define BATON_CPROTOBUFC_SHIM_H
#include <protobuf-c/protobuf-c.h>
#endif
