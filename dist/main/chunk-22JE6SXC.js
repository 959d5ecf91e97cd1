import{createRequire as __cgRequire}from'node:module';const require=__cgRequire(import.meta.url);
import{p as a}from"./chunk-5ZSIYMTL.js";import"./chunk-5V7FLJCX.js";import"./chunk-XE6TSVN5.js";import"./chunk-JKD6JYGO.js";import"./chunk-ZC7ACHTO.js";import"./chunk-VRZGCJE6.js";import"./chunk-RLTXNN3Z.js";import"./chunk-35ZQ2IDN.js";export default a();
