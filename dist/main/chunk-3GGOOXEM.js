import{createRequire as __cgRequire}from'node:module';const require=__cgRequire(import.meta.url);
import{a}from"./chunk-RLTXNN3Z.js";import"./chunk-35ZQ2IDN.js";export default a();
