import{createRequire as __cgRequire}from'node:module';const require=__cgRequire(import.meta.url);
import{p as a}from"./chunk-WOGX6C6A.js";import"./chunk-KZKYTCP3.js";import"./chunk-35ZQ2IDN.js";export default a();
