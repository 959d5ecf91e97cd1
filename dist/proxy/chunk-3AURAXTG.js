import{createRequire as __cgRequire}from'node:module';const require=__cgRequire(import.meta.url);
import{b as e,d as r}from"./chunk-35ZQ2IDN.js";var p=r((s,i)=>{i.exports=e("node:net")});var q=r((t,o)=>{o.exports=e("node:url")});export{p as a,q as b};
