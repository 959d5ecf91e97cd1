import{createRequire as __cgRequire}from'node:module';const require=__cgRequire(import.meta.url);
import{a}from"./chunk-MD437QQM.js";import"./chunk-35ZQ2IDN.js";export default a();
