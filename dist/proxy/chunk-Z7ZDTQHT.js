import{createRequire as __cgRequire}from'node:module';const require=__cgRequire(import.meta.url);
import{G as s,H as a}from"./chunk-GWK3IXG6.js";import{a as r,d as t,g as u}from"./chunk-35ZQ2IDN.js";var n=t(e=>{Object.defineProperty(e,"__esModule",{value:!0});e.Hash=void 0;var i=(a(),u(s));Object.defineProperty(e,"Hash",{enumerable:!0,get:r(function(){return i.Hash},"get")})});export default n();
