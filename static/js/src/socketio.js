// Entry of the bundled socket.io client (static/dist/socket.io.min.js): exposes window.io.
import { io } from "socket.io-client";
window.io = io;
