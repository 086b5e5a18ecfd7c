// Shim so SwiftPM can import the system's <zmq.h> as the module CZMQ.
#ifndef BATON_CZMQ_SHIM_H
#define BATON_CZMQ_SHIM_H
#include <zmq.h>
#endif
